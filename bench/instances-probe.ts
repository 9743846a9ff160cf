// Run by instances.ts in a child process of its own (`--expose-gc`): RSS before and after N warm hello instances,
// so the figure holds nothing of the bench's own heap. Prints one JSON line: InstanceFigures.
import { bundleEntry } from "../src/deploy/bundle.ts";
import { Runtime } from "../src/runtime/index.ts";
import type { InstanceFigures } from "./instances.ts";
import { helloVersion, invokeHello } from "./runtime.ts";

const MiB = 1024 * 1024;
/** Functions kept warm before the baseline: the host's code paths are compiled and the spare isolates booted. */
const WARMUP = 20;

async function probe(fnDir: string, count: number): Promise<InstanceFigures> {
  const bundle = await bundleEntry(fnDir, "index.ts");
  // Nothing may expire or be refused while the instances pile up: an hour of idle TTL, no per-version limit.
  // The budget counts memory limits (128 MB each), not use: this bench measures what instances really take.
  const rt = await Runtime.start({
    idleTtlMs: 3_600_000,
    softInstanceLimit: count + WARMUP,
    memoryBudgetMb: (count + WARMUP) * 128,
  });
  try {
    for (let i = 0; i < WARMUP; i++) await invokeHello(rt, helloVersion(bundle, `warmup-${i}`, "v1"));
    const before = await settled(rt);
    const t0 = performance.now();
    let cold = 0;
    // Distinct functions, each invoked once: one idle instance each, as a node serving many quiet functions holds.
    for (let i = 0; i < count; i++) {
      if ((await invokeHello(rt, helloVersion(bundle, `fn-${i}`, "v1"))).cold) cold++;
    }
    const createMs = performance.now() - t0;
    const after = await settled(rt);
    const warm = after.idle - before.idle;
    if (cold !== count || warm !== count || after.busy !== 0) {
      throw new Error(
        `expected ${count} warm instances, got ${warm} idle more, ${cold} cold starts, ${after.busy} busy`,
      );
    }
    return {
      instances: warm,
      rssBeforeMiB: round(before.rss / MiB),
      rssAfterMiB: round(after.rss / MiB),
      rssPerInstanceMiB: round((after.rss - before.rss) / count / MiB),
      hostHeapPerInstanceKiB: round((after.host - before.host) / count / 1024),
      createMsPerInstance: round(createMs / count),
    };
  } finally {
    rt.close();
  }
}

/** Memory once the pool is quiet: spares booted, the host heap collected (the isolates' own heaps are not). */
async function settled(rt: Runtime): Promise<{ rss: number; host: number; idle: number; busy: number }> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    globalThis.gc?.();
  }
  const m = process.memoryUsage();
  return { rss: m.rss, host: m.heapUsed + m.external, ...rt.stats() };
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

if (typeof globalThis.gc !== "function") throw new Error("run with --expose-gc");
const [fnDir, count] = process.argv.slice(2);
if (!fnDir || !count) throw new Error("usage: instances-probe.ts FN_DIR COUNT");
process.stdout.write(`${JSON.stringify(await probe(fnDir, Number(count)))}\n`);
process.exit(0);
