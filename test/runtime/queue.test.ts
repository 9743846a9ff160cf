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

// One instance per version, queues of up to 4 behind a head of any age: every concurrent call below lands on the same
// isolate, in one batch when made together.
before(async () => {
  rt = await Runtime.start({ softInstanceLimit: 1, maxQueue: 4, queueWindowMs: 60_000, spares: 0 });
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

  // A batch's results are handed over together (see HostMode in sandbox/index.ts), but never held behind a neighbour.
  it("hands a quick result over before a neighbour in its batch waits on a timer", async () => {
    const v = await version(
      "waiter",
      `export default { async fetch(req) {
         const { wait } = await req.json();
         if (wait) await new Promise((r) => setTimeout(r, wait));
         return new Response(String(wait));
       } };`,
      2000,
    );
    await (await call(v, { wait: 0 })).report;
    const t0 = performance.now();
    const [quick, slow] = await Promise.all([call(v, { wait: 0 }), call(v, { wait: 800 })]);
    const quickMs = await (quick as Awaited<ReturnType<typeof call>>).result.then(() => performance.now() - t0);
    await (slow as Awaited<ReturnType<typeof call>>).result;
    assert.ok(quickMs < 600, `the quick result took ${quickMs} ms`);
  });

  it("hands a slow handler's result over as it ends, not with the rest of its batch", async () => {
    const v = await version(
      "spinner",
      `export default { fetch() { const end = Date.now() + 300; while (Date.now() < end) {} return new Response("done"); } };`,
      5000,
    );
    await (await call(v, {})).report;
    const calls = await Promise.all([call(v, {}), call(v, {})]);
    const at = await Promise.all(calls.map((c) => c.result.then(() => performance.now())));
    assert.ok(
      (at[1] as number) - (at[0] as number) >= 200,
      `results came ${(at[1] as number) - (at[0] as number)} ms apart`,
    );
  });

  it("fails only the result that cannot leave the isolate, not its batch", async () => {
    const v = await version(
      "tamperer",
      `export default { async fetch(req) {
         const { bad } = await req.json();
         const r = new Response("fine");
         if (bad) Object.defineProperty(r, "status", { value: () => 200 });
         return r;
       } };`,
    );
    await (await call(v, {})).report;
    const calls = await Promise.all([call(v, { bad: false }), call(v, { bad: true }), call(v, { bad: false })]);
    const results = await Promise.all(calls.map((c) => c.result));
    assert.deepEqual(
      results.map((r) => (r.kind === "response" ? r.status : r.kind === "error" ? r.code : r.kind)),
      [200, "InvalidResponse", 200],
    );
    assert.match((results[1] as { message: string }).message, /cannot leave the isolate/);
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
