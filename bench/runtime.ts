// In-process runtime figures through `Runtime`: cold start (instance gone, with and without the version's code
// cache) and warm invoke latency. No HTTP here: these are the isolate's own costs, timed around invoke + result.
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { bundleEntry } from "../src/deploy/bundle.ts";
import { Runtime, type RuntimeInput, type VersionCode } from "../src/runtime/index.ts";

export interface Latency {
  samples: number;
  p50Ms: number;
  p99Ms: number;
}

export interface RuntimeFigures {
  /** Instance gone (idle TTL expired), version code cache kept: a cold start between deploys. */
  coldStartCodeCache: Latency;
  /** Instance gone through `Runtime.retire` (what a deploy does to the other versions). */
  coldStartAfterRetire: Latency;
  /** A version this process has never compiled: the first request after a deploy or a restart. */
  coldStartFirstLoad: Latency;
  warmInvoke: Latency;
}

const ENV = "bench";
/**
 * Pause before each cold sample, untimed: cold starts are spaced out in real traffic, and the pool refills its
 * spare isolates in the background after one, which a back-to-back sample would wrongly pay for.
 */
const SETTLE_MS = 10;
const INPUT: RuntimeInput = {
  kind: "http",
  url: "http://localhost/",
  http: {
    method: "GET",
    path: "/",
    rawQuery: "",
    headers: [["host", "localhost"]],
    body: null,
    sourceIp: "127.0.0.1",
    host: "localhost",
    requestId: "",
    startedAt: 0,
  },
};

export async function measureRuntime(fnDir: string, samples: { cold: number; warm: number }): Promise<RuntimeFigures> {
  const bundle = await bundleEntry(fnDir, "index.ts");
  const version = (fn: string, id: string) => helloVersion(bundle, fn, id);

  const rt = await Runtime.start();
  // A short idle TTL lets the pool's own sweeper dispose the instance, which keeps the version's code cache.
  const expiring = await Runtime.start({ idleTtlMs: 5 });
  try {
    // Unmeasured: warms up the host side (JIT, isolated-vm's threads) so the first samples are not outliers.
    for (let i = 0; i < 20; i++) {
      await timeInvoke(rt, version("warmup", `w${i}`));
      rt.retire(ENV, "warmup");
    }

    const cached = version("cached", "v1");
    await timeInvoke(expiring, cached); // compiles once and fills the code cache
    const coldStartCodeCache = await series(samples.cold, async () => {
      await sleep(SETTLE_MS);
      while (expiring.stats().idle > 0) await sleep(1);
      return timeInvoke(expiring, cached);
    });
    expiring.close(); // its 5 ms sweeper must not tick through the other series

    const retired = version("retired", "v1");
    const coldStartAfterRetire = await series(samples.cold, async () => {
      await sleep(SETTLE_MS);
      const ms = await timeInvoke(rt, retired);
      rt.retire(ENV, "retired");
      return ms;
    });

    const coldStartFirstLoad = await series(samples.cold, async (i) => {
      await sleep(SETTLE_MS);
      const ms = await timeInvoke(rt, version("first", `v${i}`));
      rt.retire(ENV, "first");
      return ms;
    });

    const warm = version("warm", "v1");
    for (let i = 0; i < 100; i++) await timeInvoke(rt, warm);
    const warmInvoke = await series(samples.warm, () => timeInvoke(rt, warm));

    return { coldStartCodeCache, coldStartAfterRetire, coldStartFirstLoad, warmInvoke };
  } finally {
    rt.close();
    expiring.close();
  }
}

/** A version of the hello bundle as the runtime gets it, with the limits of hello.ts's manifest. */
export function helloVersion(bundle: string, fn: string, id: string): VersionCode {
  return { env: ENV, function: fn, id, memoryMb: 128, timeoutMs: 5000, concurrency: 64, bundle };
}

/** One invocation, timed from `invoke` to its result; waits for the report so the instance is back in the pool. */
async function timeInvoke(rt: Runtime, version: VersionCode): Promise<number> {
  return (await invokeHello(rt, version)).ms;
}

/** Invokes the hello function once and checks its answer: how long until the result, and whether it cold-started. */
export async function invokeHello(rt: Runtime, version: VersionCode): Promise<{ ms: number; cold: boolean }> {
  const meta = {
    id: randomUUID(),
    functionName: version.function,
    functionVersion: version.id,
    memoryMb: version.memoryMb,
    deadline: Date.now() + version.timeoutMs,
  };
  const t0 = performance.now();
  const call = await rt.invoke(version, INPUT, meta);
  const result = await call.result;
  const ms = performance.now() - t0;
  const { cold } = await call.report;
  if (result.kind !== "response" || result.status !== 200) {
    throw new Error(`the hello function did not answer 200: ${JSON.stringify(result)}`);
  }
  return { ms, cold };
}

async function series(n: number, sample: (i: number) => Promise<number>): Promise<Latency> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push(await sample(i));
  times.sort((a, b) => a - b);
  return { samples: n, p50Ms: round(percentile(times, 0.5)), p99Ms: round(percentile(times, 0.99)) };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
