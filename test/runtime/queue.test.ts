// Invocations queued behind a running one on the same instance: they run one at a time, keep their own logs, and
// one stranded behind a neighbour that times out or blows its heap runs again elsewhere instead of failing.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bundleEntry } from "../../src/deploy/bundle.ts";
import { Runtime, type RuntimeResult, type VersionCode } from "../../src/runtime/index.ts";

const dir = mkdtempSync(join(tmpdir(), "pave-queue-"));
let rt: Runtime;

// One instance per version, queues of up to 4: every concurrent call below lands on the same isolate.
before(async () => {
  rt = await Runtime.start({ softInstanceLimit: 1, maxQueue: 4, spares: 0 });
});
after(() => {
  rt.close();
  rmSync(dir, { recursive: true, force: true });
});

async function version(name: string, source: string, timeoutMs = 400): Promise<VersionCode> {
  writeFileSync(join(dir, `${name}.ts`), source);
  return {
    env: "t",
    function: name,
    id: "v1",
    memoryMb: 32,
    timeoutMs,
    concurrency: 8,
    bundle: await bundleEntry(dir, `${name}.ts`),
  };
}

function call(v: VersionCode, payload: unknown) {
  const meta = {
    id: randomUUID(),
    functionName: v.function,
    functionVersion: v.id,
    memoryMb: v.memoryMb,
    deadline: Date.now() + v.timeoutMs,
  };
  return rt.invoke(v, { kind: "direct", payload }, meta);
}

const value = (r: RuntimeResult) => (r.kind === "value" ? r.value : r);

describe("queued invocations", () => {
  it("run one at a time on one instance, each with its own logs", async () => {
    const v = await version(
      "serial",
      `let running = 0, overlap = false;
       export const handler = async (e) => {
         running++; if (running > 1) overlap = true;
         console.log("start " + e.n);
         await new Promise((r) => setTimeout(r, 5));
         console.log("end " + e.n);
         running--;
         return { n: e.n, overlap };
       };`,
    );
    // Warm one instance first so the burst queues on it.
    await (await call(v, { n: 0 })).report;
    const calls = await Promise.all([1, 2, 3, 4].map((n) => call(v, { n })));
    const results = await Promise.all(calls.map((c) => c.result));
    const reports = await Promise.all(calls.map((c) => c.report));
    assert.deepEqual(
      results.map(value),
      [1, 2, 3, 4].map((n) => ({ n, overlap: false })),
    );
    reports.forEach((r, i) => {
      assert.deepEqual(
        r.logs.map((l) => l.message),
        [`start ${i + 1}`, `end ${i + 1}`],
      );
    });
    assert.equal(rt.stats().coldStarts >= 1, true);
  });

  it("runs again elsewhere what was stranded behind an invocation that timed out", async () => {
    const v = await version(
      "stranded",
      `export const handler = async (e) => {
         if (e.spin) for (;;) {}
         console.log("ran " + e.n);
         return { n: e.n };
       };`,
    );
    await (await call(v, { n: 0 })).report;
    const spinner = await call(v, { spin: true });
    const queued = await Promise.all([1, 2].map((n) => call(v, { n })));
    const spun = await spinner.result;
    assert.equal(spun.kind === "error" && spun.code, "Timeout");
    const results = await Promise.all(queued.map((c) => c.result));
    assert.deepEqual(results.map(value), [{ n: 1 }, { n: 2 }]);
    const reports = await Promise.all(queued.map((c) => c.report));
    // They ran exactly once, on a fresh instance, and their logs are theirs.
    assert.deepEqual(
      reports.map((r) => r.logs.map((l) => l.message)),
      [["ran 1"], ["ran 2"]],
    );
  });
});
