// The warm pool through `Runtime`, on real isolates: the memory budget (LRU eviction of idle instances, busy ones
// never evicted, CapacityExceeded), minInstances kept warm, idle TTL scale-to-zero, and deploys that drain.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { bundleEntry } from "../../src/deploy/bundle.ts";
import { PaveError } from "../../src/errors.ts";
import {
  Runtime,
  type RuntimeOptions,
  type RuntimeResult,
  type VersionCode,
  type VersionStats,
} from "../../src/runtime/index.ts";

const dir = mkdtempSync(join(tmpdir(), "pave-pool-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Sleeps `ms` when asked, spins forever when asked (to time out), and says which version answered. */
const SOURCE = `
  export const handler = async (e) => {
    if (e && e.spin) for (;;) {}
    if (e && e.ms) await new Promise((r) => setTimeout(r, e.ms));
    return { version: VERSION };
  };`;

let bundled: Promise<string> | undefined;
/** Bundled once: every version below is this code with its own VERSION. */
function bundle(): Promise<string> {
  if (!bundled) {
    writeFileSync(join(dir, "fn.ts"), `declare const VERSION: string;\n${SOURCE}`);
    bundled = bundleEntry(dir, "fn.ts");
  }
  return bundled;
}

/** A 64 MB version of function `name` whose handler answers `{ version: id }`. */
async function version(name: string, opts: Partial<Omit<VersionCode, "bundle">> = {}): Promise<VersionCode> {
  const id = opts.id ?? "v1";
  return {
    env: "t",
    function: name,
    id,
    memoryMb: 64,
    timeoutMs: 5000,
    concurrency: 8,
    ...opts,
    bundle: `var VERSION = ${JSON.stringify(id)};\n${await bundle()}`,
  };
}

async function start(t: { after: (fn: () => void) => void }, options: RuntimeOptions): Promise<Runtime> {
  const rt = await Runtime.start({ spares: 0, ...options });
  t.after(() => rt.close());
  return rt;
}

function call(rt: Runtime, v: VersionCode, payload: unknown = {}) {
  const meta = {
    id: randomUUID(),
    functionName: v.function,
    functionVersion: v.id,
    memoryMb: v.memoryMb,
    deadline: Date.now() + v.timeoutMs,
  };
  return rt.invoke(v, { kind: "direct", payload }, meta);
}

/** Invokes and waits for the invocation to be over. */
async function run(rt: Runtime, v: VersionCode, payload: unknown = {}) {
  const c = await call(rt, v, payload);
  return { result: await c.result, report: await c.report };
}

const value = (r: RuntimeResult) => (r.kind === "value" ? r.value : r);

/** The live instances per function (all versions), as `name@version: idle+busy`, sorted. */
function instances(rt: Runtime): string[] {
  return rt
    .stats()
    .versions.map((v: VersionStats) => `${v.function}@${v.version}: ${v.idle}+${v.busy}`)
    .sort();
}

function isCapacityExceeded(err: unknown): boolean {
  return err instanceof PaveError && err.code === "CapacityExceeded" && err.status === 503;
}

/** Polls until `check` holds; the bound is generous, the check is what the test waits for. */
async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("memory budget", () => {
  it("evicts idle instances least recently used first to make room for a cold start", async (t) => {
    const rt = await start(t, { memoryBudgetMb: 256 });
    const [a, b, c, d, e, f] = await Promise.all(["a", "b", "c", "d", "e", "f"].map((n) => version(n)));
    for (const v of [a, b, c, d] as VersionCode[]) await run(rt, v);
    assert.equal(rt.stats().memoryMb, 256, "four 64 MB instances fill the 256 MB budget");
    // a is used again, so b is now the least recently used.
    assert.equal((await run(rt, a as VersionCode)).report.cold, false);

    assert.equal((await run(rt, e as VersionCode)).report.cold, true);
    assert.deepEqual(instances(rt), ["a@v1: 1+0", "c@v1: 1+0", "d@v1: 1+0", "e@v1: 1+0"]);
    await run(rt, f as VersionCode);
    assert.deepEqual(instances(rt), ["a@v1: 1+0", "d@v1: 1+0", "e@v1: 1+0", "f@v1: 1+0"]);
    const stats = rt.stats();
    assert.equal(stats.evictions, 2);
    assert.equal(stats.memoryMb, 256);
    assert.equal(stats.memoryBudgetMb, 256);
    // The evicted function simply cold-starts again, evicting the next least recently used (d).
    assert.equal((await run(rt, b as VersionCode)).report.cold, true);
    assert.deepEqual(instances(rt), ["a@v1: 1+0", "b@v1: 1+0", "e@v1: 1+0", "f@v1: 1+0"]);
  });

  it("never evicts a busy instance: with nothing idle, a cold start fails with CapacityExceeded", async (t) => {
    const rt = await start(t, { memoryBudgetMb: 128 });
    const [a, b, c] = (await Promise.all(["a", "b", "c"].map((n) => version(n)))) as [
      VersionCode,
      VersionCode,
      VersionCode,
    ];
    const slowA = await call(rt, a, { ms: 300 });
    const slowB = await call(rt, b, { ms: 300 });
    assert.equal(rt.stats().busy, 2);
    await assert.rejects(call(rt, c), (err: unknown) => {
      assert.ok(isCapacityExceeded(err), String(err));
      assert.match((err as Error).message, /no memory for another 64 MB instance of c: 128 MB of the 128 MB/);
      return true;
    });
    // The busy ones finish undisturbed.
    assert.deepEqual(value(await slowA.result), { version: "v1" });
    assert.deepEqual(value(await slowB.result), { version: "v1" });
    await Promise.all([slowA.report, slowB.report]);
    const stats = rt.stats();
    assert.equal(stats.capacityRefusals, 1);
    assert.equal(stats.evictions, 0);
    assert.equal(stats.invocations, 0, "the refused invocation holds no concurrency slot");
    // Once they are idle, the same cold start evicts the least recently used of them.
    assert.deepEqual(value((await run(rt, c)).result), { version: "v1" });
    assert.equal(rt.stats().evictions, 1);
    assert.equal(instances(rt).length, 2);
  });

  it("refuses a function whose one instance is larger than the whole budget", async (t) => {
    const rt = await start(t, { memoryBudgetMb: 100 });
    await assert.rejects(call(rt, await version("big", { memoryMb: 128 })), isCapacityExceeded);
    assert.equal(rt.stats().memoryMb, 0);
  });

  it("defaults to half of the host's memory", async (t) => {
    const { totalmem } = await import("node:os");
    const rt = await start(t, {});
    assert.equal(rt.stats().memoryBudgetMb, Math.floor(totalmem() / 1024 / 1024 / 2));
  });
});

describe("minInstances", () => {
  it("keeps that many instances warm after provisioning: the first requests start warm", async (t) => {
    const rt = await start(t, { memoryBudgetMb: 512 });
    const v = await version("warm", { minInstances: 3 });
    await rt.prepare(v);
    await rt.provision(v);
    assert.deepEqual(instances(rt), ["warm@v1: 3+0"]);
    const coldBefore = rt.stats().coldStarts;
    const calls = await Promise.all([1, 2, 3].map(() => call(rt, v, { ms: 50 })));
    const reports = await Promise.all(calls.map((c) => c.report));
    assert.deepEqual(
      reports.map((r) => r.cold),
      [false, false, false],
    );
    assert.equal(rt.stats().coldStarts, coldBefore, "no cold start for the provisioned instances");
    const stats = rt.stats();
    assert.equal(stats.provisioned, 3);
    assert.equal(stats.provisionedMb, 192);
  });

  it("re-creates an instance lost to a timeout", async (t) => {
    const rt = await start(t, { memoryBudgetMb: 512 });
    const v = await version("phoenix", { minInstances: 2, timeoutMs: 300 });
    await rt.provision(v);
    assert.deepEqual(instances(rt), ["phoenix@v1: 2+0"]);
    const spun = await run(rt, v, { spin: true });
    assert.equal(spun.result.kind === "error" && spun.result.code, "Timeout");
    await until("the lost instance is re-created", () => instances(rt).join() === "phoenix@v1: 2+0");
    assert.equal((await run(rt, v)).report.cold, false);
  });

  it("is never expired by the idle TTL; the instances above it are", async (t) => {
    const rt = await start(t, { memoryBudgetMb: 1024, idleTtlMs: 300, maxQueue: 1, softInstanceLimit: 100 });
    const v = await version("ttl-floor", { minInstances: 2 });
    await rt.provision(v);
    await Promise.all([1, 2, 3, 4].map(async () => (await call(rt, v, { ms: 50 })).report));
    assert.deepEqual(instances(rt), ["ttl-floor@v1: 4+0"]);
    await until("the two instances above the floor expire", () => rt.stats().expirations === 2);
    assert.deepEqual(instances(rt), ["ttl-floor@v1: 2+0"]);
    // Several more sweeps leave the floor alone.
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(instances(rt), ["ttl-floor@v1: 2+0"]);
    assert.equal(rt.stats().expirations, 2);
  });

  it("is never evicted by the budget, though its instances are the least recently used", async (t) => {
    const rt = await start(t, { memoryBudgetMb: 256, maxQueue: 1, softInstanceLimit: 100 });
    const floor = await version("lru-floor", { minInstances: 2 });
    await rt.provision(floor);
    await Promise.all([1, 2, 3, 4].map(async () => (await call(rt, floor, { ms: 50 })).report));
    assert.equal(rt.stats().memoryMb, 256);
    const [o1, o2, o3] = (await Promise.all(["o1", "o2", "o3"].map((n) => version(n)))) as VersionCode[];
    await run(rt, o1 as VersionCode);
    await run(rt, o2 as VersionCode);
    assert.deepEqual(instances(rt), ["lru-floor@v1: 2+0", "o1@v1: 1+0", "o2@v1: 1+0"], "the two above it went");
    await run(rt, o3 as VersionCode);
    assert.deepEqual(instances(rt), ["lru-floor@v1: 2+0", "o2@v1: 1+0", "o3@v1: 1+0"], "then o1, not the floor");
    // With the rest busy, a cold start is refused rather than take the floor's memory.
    const busy = await Promise.all([o2, o3].map((v) => call(rt, v as VersionCode, { ms: 200 })));
    await assert.rejects(call(rt, await version("o4")), isCapacityExceeded);
    await Promise.all(busy.map((c) => c.report));
    assert.equal(rt.stats().evictions, 3);
  });

  it("holds its memory while it cannot be filled: other cold starts may not use it", async (t) => {
    // The sweep (every idleTtlMs) retries a floor whose instance failed to load.
    const rt = await start(t, { memoryBudgetMb: 192, idleTtlMs: 200 });
    const base = await version("late");
    // Loading fails for the next 300 ms, then works: provisioning finds the floor empty and retries later.
    const late = {
      ...base,
      minInstances: 2,
      bundle: `if (Date.now() < ${Date.now() + 300}) throw new Error("not yet");\n${base.bundle}`,
    };
    await rt.provision(late);
    assert.deepEqual(instances(rt), []);
    assert.equal(rt.stats().provisionedMb, 128);
    // 64 MB are in use, but the other 128 are the floor's.
    const x = await version("x");
    const busyX = await call(rt, x, { ms: 200 });
    await assert.rejects(call(rt, await version("y")), isCapacityExceeded);
    await busyX.report;
    await until("the floor is filled on a retry", () => instances(rt).includes("late@v1: 2+0"));
    assert.equal(rt.stats().capacityRefusals, 1);
  });
  it("refuses (CapacityExceeded) minInstances that cannot fit the budget, saying how much they need", async (t) => {
    const rt = await start(t, { memoryBudgetMb: 256 });
    await assert.rejects(rt.prepare(await version("huge", { minInstances: 5 })), (err: unknown) => {
      assert.ok(isCapacityExceeded(err), String(err));
      assert.match((err as Error).message, /huge keeps 5 instances of 64 MB warm \(minInstances\): they need 320 MB/);
      assert.match((err as Error).message, /the memory budget is 256 MB/);
      return true;
    });
    assert.equal(rt.stats().memoryMb, 0, "nothing was loaded");
    await rt.provision(await version("first", { minInstances: 2 }));
    await assert.rejects(rt.prepare(await version("second", { minInstances: 3 })), (err: unknown) => {
      assert.ok(isCapacityExceeded(err), String(err));
      assert.match((err as Error).message, /they need 192 MB, and other functions' minInstances already hold 128 MB/);
      return true;
    });
    // A new version of the same function replaces its floor rather than adding to it.
    const next = await version("first", { id: "v2", minInstances: 4 });
    await rt.prepare(next);
    rt.retire("t", "first", "v2");
    await rt.provision(next);
    assert.deepEqual(instances(rt), ["first@v2: 4+0"]);
    assert.equal(rt.stats().provisionedMb, 256);
  });
});

describe("idle TTL", () => {
  it("scales a function without minInstances to zero; the next invocation is a cold start", async (t) => {
    const rt = await start(t, { memoryBudgetMb: 512, idleTtlMs: 1000 });
    const v = await version("zero");
    assert.equal((await run(rt, v)).report.cold, true);
    assert.equal((await run(rt, v)).report.cold, false);
    await until("the idle instance expires", () => rt.stats().versions.length === 0);
    const stats = rt.stats();
    assert.equal(stats.expirations, 1);
    assert.equal(stats.memoryMb, 0);
    assert.equal((await run(rt, v)).report.cold, true);
  });
});

describe("a new deploy", () => {
  it("drains the old version: in-flight invocations complete, new ones go to the new version", async (t) => {
    const rt = await start(t, { memoryBudgetMb: 1024, maxQueue: 1 });
    const v1 = await version("svc", { id: "v1", minInstances: 1 });
    await rt.prepare(v1);
    await rt.provision(v1);
    const inFlight = await Promise.all([1, 2, 3].map(() => call(rt, v1, { ms: 1000 })));
    assert.deepEqual(instances(rt), ["svc@v1: 0+3"]);

    const v2 = await version("svc", { id: "v2", minInstances: 1 });
    await rt.prepare(v2);
    rt.retire("t", "svc", "v2");
    await rt.provision(v2);
    const old = rt.stats().versions.find((s) => s.version === "v1");
    assert.equal(old?.retired, true);
    assert.equal(old?.minInstances, 0, "the old version's floor is released");
    assert.deepEqual(value((await run(rt, v2)).result), { version: "v2" });

    const results = await Promise.all(inFlight.map((c) => c.result));
    assert.deepEqual(
      results.map(value),
      [1, 2, 3].map(() => ({ version: "v1" })),
    );
    const reports = await Promise.all(inFlight.map((c) => c.report));
    assert.ok(reports.every((r) => r.lateFailure === undefined));
    // Each v1 instance was disposed as its invocation finished; v2 keeps its floor.
    assert.deepEqual(instances(rt), ["svc@v2: 1+0"]);
    assert.equal(rt.stats().memoryMb, 64);
  });

  it("after a removal, disposes every instance as it comes free and releases the floor", async (t) => {
    const rt = await start(t, { memoryBudgetMb: 1024 });
    const v = await version("gone", { minInstances: 2 });
    await rt.provision(v);
    const busy = await call(rt, v, { ms: 500 });
    rt.retire("t", "gone");
    assert.deepEqual(instances(rt), ["gone@v1: 0+1"]);
    await busy.report;
    assert.deepEqual(instances(rt), []);
    assert.equal(rt.stats().provisioned, 0);
  });
});

describe("busy isolates", () => {
  it("stay within softInstanceLimit under concurrent load, though idle instances are there: the rest queue", async (t) => {
    const rt = await start(t, { softInstanceLimit: 2, maxWaitMs: 0, maxQueue: 8, queueWindowMs: 1000 });
    writeFileSync(
      join(dir, "which.ts"),
      `const ISOLATE = crypto.randomUUID();
       export const handler = async (e) => {
         if (e && e.ms) await new Promise((r) => setTimeout(r, e.ms));
         return { isolate: ISOLATE };
       };`,
    );
    const v: VersionCode = {
      env: "t",
      function: "which",
      id: "v1",
      memoryMb: 64,
      timeoutMs: 5000,
      concurrency: 64,
      bundle: await bundleEntry(dir, "which.ts"),
    };
    // Four instances, idle after this: slow calls that cannot queue (maxWaitMs 0) cold-start one each.
    await Promise.all([1, 2, 3, 4].map(() => run(rt, v, { ms: 50 })));
    assert.deepEqual(instances(rt), ["which@v1: 4+0"]);
    // Eight callers in a loop of quick calls: two isolates are enough, and they are all that is used.
    const used = new Set<string>();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 10; i++) {
          const { result } = await run(rt, v);
          used.add((value(result) as { isolate: string }).isolate);
        }
      }),
    );
    assert.ok(used.size <= 2, `${used.size} isolates ran 80 quick calls from 8 callers; 2 are enough`);
  });
});

describe("spare isolates", () => {
  it("replace the one a cold start took once its invocation is over, and the one a failed load took", async (t) => {
    const rt = await start(t, { spares: 1 });
    // The first cold start of a size boots its isolate itself; the spare for that size is kept from then on.
    await run(rt, await version("first"));
    await until("the spare is booted", () => rt.stats().spares === 1);
    const cold = await run(rt, await version("second"));
    assert.equal(cold.report.cold, true);
    await until("the spare is replaced after the cold start", () => rt.stats().spares === 1);
    const broken: VersionCode = { ...(await version("broken")), bundle: `throw new Error("broken at load");` };
    assert.equal((await run(rt, broken)).result.kind, "error");
    await until("the spare is replaced after a failed load", () => rt.stats().spares === 1);
  });
});
