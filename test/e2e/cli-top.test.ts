// `pave top` against a real server: the real binary's one-shot table and --json snapshot, its usage errors, and the
// live loop riding out a server restart on the same port ("reconnecting…", then figures again).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { watchTop } from "../../src/cli/top.ts";
import { type MetricsSummary, PaveClient } from "../../src/client/index.ts";
import { createLogger } from "../../src/logger.ts";
import { startServer } from "../../src/server.ts";
import {
  type CliRun,
  deploySource,
  eventually,
  removeFunctionDirs,
  runPave,
  startTestServer,
  type TestServer,
} from "./helpers.ts";

const OK = `export default { fetch: (r) => new URL(r.url).searchParams.get("fail") ? Promise.reject(new Error("no")) : new Response("ok") };`;

/** Runs `pave ARGS` (stdout is a pipe, not a terminal) with the server's URL and token in the environment. */
function pave(t: TestServer, args: string[]): Promise<CliRun> {
  return runPave(t, args);
}

describe("pave top", () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer();
    await deploySource(t.client, "api", OK);
    await deploySource(t.client, "quiet", OK);
    for (let i = 0; i < 8; i++) await (await fetch(`${t.server.url}/fn/api/`)).text();
    for (let i = 0; i < 2; i++) await (await fetch(`${t.server.url}/fn/api/?fail=1`)).text();
    await eventually(async () => {
      assert.equal((await t.client.listActivations({ limit: 100 })).activations.length, 10);
    }, 15_000);
  });

  after(async () => {
    await t.close();
    await removeFunctionDirs();
  });

  it("--once --json prints one snapshot with stable keys", async () => {
    const run = await pave(t, ["top", "--once", "--json"]);
    assert.equal(run.code, 0, run.err);
    const s = JSON.parse(run.out) as MetricsSummary;
    assert.equal(s.env, "prod");
    assert.deepEqual(
      s.functions.map((f) => [f.function, f.count, f.errors]),
      [
        ["api", 10, 2],
        ["quiet", 0, 0],
      ],
    );
    const api = s.functions[0]!;
    for (const key of ["requestsPerSecond", "errorRate", "p50", "p99", "coldRate", "costPerHour"] as const) {
      assert.equal(typeof api[key], "number", key);
    }
    assert.equal(api.errorRate, 0.2);
  });

  it("prints one plain table and exits when stdout is not a terminal", async () => {
    const run = await pave(t, ["top"]);
    assert.equal(run.code, 0, run.err);
    assert.ok(!run.out.includes("\x1b["), "no escape codes in a pipe");
    const lines = run.out.trimEnd().split("\n");
    assert.match(lines[0] ?? "", /^pave top · prod · \d\d:\d\d:\d\d · last \d+s$/);
    assert.match(lines[2] ?? "", /^FUNCTION\s+REQ\/S\s+ERR%\s+P50\s+P99\s+COLD%\s+COST\/H$/);
    assert.match(lines[3] ?? "", /^api\s+0\.\d{3}\s+20\.0%\s+\S+ms\s+\S+ms\s+\d+\.\d%\s+\$0\.\d{6}$/);
    assert.match(lines[4] ?? "", /^quiet\s+0\s+-\s+-\s+-\s+-\s+\$0\.000000$/);
    assert.equal(lines.length, 5);
  });

  it("refuses a bad interval or window as a usage error, and an unknown environment as not found", async () => {
    const fast = await pave(t, ["top", "--interval", "10ms"]);
    assert.equal(fast.code, 2);
    assert.match(fast.err, /interval of at least 200ms/);
    const wide = await pave(t, ["top", "--window", "2h"]);
    assert.equal(wide.code, 2);
    assert.match(wide.err, /Expected 1m to 60m/);
    const unknown = await pave(t, ["top", "--env", "staging"]);
    assert.equal(unknown.code, 1, unknown.err);
    assert.match(unknown.err, /EnvironmentNotFound: no environment staging/);
  });
});

describe("pave top, live", () => {
  it("redraws in place and keeps going across a server restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pave-top-"));
    const logger = createLogger("silent");
    let server = await startServer({ host: "127.0.0.1", port: 0, dataDir, logger });
    const port = server.port;
    const client = new PaveClient({ url: server.url, token: server.adminToken });
    const frames: string[] = [];
    const stop = new AbortController();
    try {
      await deploySource(client, "steady", OK);
      const watching = watchTop(client, { env: "prod", window: "1m" }, 50, (f) => frames.push(f), stop.signal);
      await eventually(() => assert.ok(frames.some((f) => /steady\s+0\s/.test(f))), 15_000);
      assert.ok(
        frames.every((f) => f.startsWith("\x1b[H") && f.endsWith("\x1b[J")),
        "each frame redraws from home",
      );

      await server.close();
      await eventually(() => assert.match(frames.at(-1) ?? "", /reconnecting… \(Unreachable/), 15_000);
      assert.match(frames.at(-1) ?? "", /steady/, "the last figures stay on screen meanwhile");

      server = await startServer({ host: "127.0.0.1", port, dataDir, logger });
      await (await fetch(`${server.url}/fn/steady/`)).text();
      await eventually(() => {
        const last = frames.at(-1) ?? "";
        assert.doesNotMatch(last, /reconnecting/);
        assert.match(last, /steady\s+0\.0\d+\s+0\.0%/);
      }, 15_000);
      stop.abort();
      await watching;
    } finally {
      stop.abort();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
      await removeFunctionDirs();
    }
  });
});
