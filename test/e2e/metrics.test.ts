// GET /metrics on a real server: Prometheus text that promtool accepts, with the counts the activations imply.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { deploySource, eventually, removeFunctionDirs, startTestServer, type TestServer } from "./helpers.ts";

/** promtool comes with Debian's `prometheus` package; .ci/run installs it, and in CI its absence is a failure. */
const promtool = spawnSync("promtool", ["--version"]).status === 0;
const skip = !promtool && !process.env.CI ? "promtool is not installed (apt-get install prometheus)" : false;

describe("metrics", { skip }, () => {
  let t: TestServer;
  const scrape = async (token = t.server.adminToken) => {
    const res = await fetch(`${t.server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
  };
  /** The value of one sample, by metric name and exact labels (in the order prom-client prints them). */
  const sample = (text: string, series: string): number | undefined => {
    const line = text.split("\n").find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  before(async () => {
    t = await startTestServer();
    await deploySource(t.client, "ok", `export default { fetch: () => new Response("fine") };`);
    await deploySource(t.client, "boom", `export default { fetch() { throw new Error("no"); } };`);
    await deploySource(
      t.client,
      "narrow",
      `export default { async fetch() { await new Promise((r) => setTimeout(r, 300)); return new Response("slow"); } };`,
      { concurrency: 1, timeout: "5s" },
    );
  });

  after(async () => {
    await t.close();
    await removeFunctionDirs();
  });

  it("needs a token", async () => {
    const res = await fetch(`${t.server.url}/metrics`);
    assert.equal(res.status, 401);
  });

  it("counts invocations, errors, cold starts, throttles and GB-seconds, and passes promtool", async () => {
    for (let i = 0; i < 3; i++) await (await fetch(`${t.server.url}/fn/ok/`)).text();
    await (await fetch(`${t.server.url}/fn/boom/`)).text();
    const [first, second] = await Promise.all([
      fetch(`${t.server.url}/fn/narrow/`),
      fetch(`${t.server.url}/fn/narrow/`),
    ]);
    const statuses = [first.status, second.status].sort();
    await Promise.all([first.text(), second.text()]);
    assert.deepEqual(statuses, [200, 429]);

    const m = await eventually(async () => {
      const s = await scrape();
      assert.equal(
        sample(
          s.text,
          'pave_invocations_total{env="prod",function="narrow",version="' +
            (await liveOf("narrow")) +
            '",status="success",trigger="http"}',
        ),
        1,
      );
      return s;
    });
    assert.match(m.type, /^text\/plain; version=0\.0\.4/);
    const ok = await liveOf("ok");
    assert.equal(
      sample(
        m.text,
        `pave_invocations_total{env="prod",function="ok",version="${ok}",status="success",trigger="http"}`,
      ),
      3,
    );
    const boom = await liveOf("boom");
    assert.equal(
      sample(
        m.text,
        `pave_invocations_total{env="prod",function="boom",version="${boom}",status="error",trigger="http"}`,
      ),
      1,
    );
    assert.equal(sample(m.text, 'pave_throttles_total{env="prod",function="narrow"}'), 1);
    // Deploy loads one instance of each; the first request finds it warm.
    assert.equal(sample(m.text, 'pave_cold_starts_total{env="prod",function="ok"}'), undefined);
    assert.equal(sample(m.text, 'pave_invocation_duration_seconds_count{env="prod",function="ok",trigger="http"}'), 3);
    // Buckets are cumulative: the slow success (≥ 300 ms) is above 0.25 s; the throttled one never ran, so has no
    // duration (counted above, not here, where its 0 s would pull every percentile down).
    const bucket = (le: string) =>
      sample(m.text, `pave_invocation_duration_seconds_bucket{env="prod",function="narrow",trigger="http",le="${le}"}`);
    assert.deepEqual([bucket("0.001"), bucket("0.25"), bucket("0.5"), bucket("+Inf")], [0, 0, 1, 1]);
    assert.ok(
      (sample(m.text, 'pave_invocation_duration_seconds_sum{env="prod",function="narrow",trigger="http"}') ?? 0) >= 0.3,
    );
    assert.ok(
      (sample(m.text, 'pave_billed_gigabyte_seconds_total{env="prod",function="narrow"}') ?? 0) >= (128 / 1024) * 0.3,
    );
    assert.ok((sample(m.text, 'pave_instances{state="idle"}') ?? 0) >= 3);
    assert.equal(sample(m.text, "pave_concurrent_invocations"), 0);

    const check = spawnSync("promtool", ["check", "metrics"], { input: m.text, encoding: "utf8" });
    assert.equal(check.status, 0, `promtool check metrics:\n${check.stdout}${check.stderr}`);
  });

  it("records a throttled request as an activation with its code and 429", async () => {
    // Written in batches, off the hot path: wait for it.
    const activations = await eventually(async () => {
      const page = await t.client.listActivations({ function: "narrow", status: "error" });
      assert.equal(page.activations.length, 1);
      return page.activations;
    });
    assert.equal(activations[0]?.errorCode, "Throttled");
    assert.equal(activations[0]?.httpStatus, 429);
    assert.equal(activations[0]?.billedMs, 0);
  });

  async function liveOf(name: string): Promise<string> {
    const { versions } = await t.client.listVersions(name);
    return versions.find((v) => v.live)?.id ?? "";
  }
});
