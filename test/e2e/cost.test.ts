// `pave cost` and GET /api/v1/cost on a real server: usage priced as documented, grouped by function and by tag.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { deploySource, eventually, removeFunctionDirs, startTestServer, type TestServer } from "./helpers.ts";

const PAVE = join(fileURLToPath(new URL("../..", import.meta.url)), "bin/pave.js");

describe("cost", () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ prices: { perGbSecond: 0.001, perMillionRequests: 1000 } });
    const ok = `export default { fetch: () => new Response("ok") };`;
    await deploySource(t.client, "pay", ok, { memory: 256, tags: "{ feature: payments }" });
    await deploySource(t.client, "refund", ok, { memory: 128, tags: "{ feature: payments }" });
    await deploySource(t.client, "find", ok, { memory: 128, tags: "{ feature: search }" });
    for (const [fn, n] of [
      ["pay", 3],
      ["refund", 2],
      ["find", 4],
    ] as const) {
      for (let i = 0; i < n; i++) await (await fetch(`${t.server.url}/fn/${fn}/`)).text();
    }
    await eventually(async () => {
      assert.equal((await t.client.listActivations({ limit: 100 })).activations.length, 9);
    });
  });

  after(async () => {
    await t.close();
    await removeFunctionDirs();
  });

  it("prices each function's GB-seconds and requests at the configured prices", async () => {
    const report = await t.client.cost({ since: "1h" });
    assert.deepEqual(report.rows.map((r) => [r.key, r.invocations]).sort(), [
      ["prod/find", 4],
      ["prod/pay", 3],
      ["prod/refund", 2],
    ]);
    for (const r of report.rows) {
      assert.ok(Math.abs(r.cost - (r.gbSeconds * 0.001 + (r.invocations / 1e6) * 1000)) < 1e-12, r.key);
      assert.ok(Math.abs(r.costPer1000 - (r.cost / r.invocations) * 1000) < 1e-12);
    }
    const pay = report.rows.find((r) => r.key === "prod/pay");
    // 256 MB for at least 1 ms each: at least 0.25 × 0.001 s of GB per call.
    assert.ok((pay?.gbSeconds ?? 0) >= 3 * 0.25 * 0.001);
    assert.ok(Math.abs(report.total - report.rows.reduce((s, r) => s + r.cost, 0)) < 1e-12);
    assert.equal(report.previousTotal, 0);
    assert.equal(report.movers.length, 3);
  });

  it("groups by a tag: what a feature costs", async () => {
    const report = await t.client.cost({ by: "tag:feature", since: "1h" });
    assert.deepEqual(report.rows.map((r) => [r.key, r.invocations]).sort(), [
      ["payments", 5],
      ["search", 4],
    ]);
  });

  it("prints a table from the CLI and refuses a bad grouping", async () => {
    // Asynchronously: the server answering the CLI runs in this very process.
    const pave = (...args: string[]) =>
      new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
        const env = { ...process.env, PAVE_URL: t.server.url, PAVE_TOKEN: t.server.adminToken ?? "" };
        execFile(process.execPath, ["--no-node-snapshot", PAVE, ...args], { env }, (err, stdout, stderr) =>
          resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
        );
      });
    const out = await pave("cost", "--by", "tag:feature", "--since", "1h");
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^cost by tag:feature, /);
    assert.match(out.stdout, /payments\s+5\s+0\s/);
    assert.match(out.stdout, /TOTAL/);
    const bad = await pave("cost", "--by", "colour");
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /by: .*function, version, env, trigger or tag:KEY/);
  });
});
