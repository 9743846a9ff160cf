// Memory per warm instance: what keeping one more quiet function warm costs a node, measured as RSS in a child
// process (instances-probe.ts) so that the bench's own heap and its HTTP clients do not blur the figure.
import { once } from "node:events";
import { join } from "node:path";
import { ROOT, start, stop } from "./children.ts";

export interface InstanceFigures {
  /** Warm instances created (checked against the pool's idle count and the cold starts reported). */
  instances: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  /** (RSS after − RSS before) / instances, in MiB: the isolate, its heap, the sandbox and the host's bookkeeping. */
  rssPerInstanceMiB: number;
  /** Of that, the host's own V8 heap and external memory (the pool's records, code caches), in KiB. */
  hostHeapPerInstanceKiB: number;
  /** Mean time to cold-start each one, one after another. */
  createMsPerInstance: number;
}

export async function measureInstances(fnDir: string, count: number): Promise<InstanceFigures> {
  const probe = join(ROOT, "bench/instances-probe.ts");
  const child = start(["--no-node-snapshot", "--expose-gc", "--import", "tsx", probe, fnDir, String(count)]);
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const timer = setTimeout(() => void stop(child), 180_000);
  try {
    const [code] = (await once(child, "exit")) as [number | null];
    const line = stdout.trim().split("\n").pop() ?? "";
    if (code !== 0 || !line.startsWith("{")) {
      throw new Error(`the instance probe failed (exit ${code}):\n${child.output()}`);
    }
    return JSON.parse(line) as InstanceFigures;
  } finally {
    clearTimeout(timer);
    await stop(child);
  }
}
