// Topic figures on a real server through the control API: durable publish throughput (events/s, one event per
// request and batched) and the latency from publish to the subscriber's handler start (p50/p99).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PaveClient } from "../src/client/index.ts";
import { createLogger } from "../src/logger.ts";
import { startServer } from "../src/server.ts";
import type { Latency } from "./runtime.ts";

export interface EventFigures {
  /** Events committed per second, one per request, `concurrency` requests at a time. */
  publishSinglePerSec: number;
  /** Events committed per second in batches of `batchSize`. */
  publishBatchedPerSec: number;
  batchSize: number;
  concurrency: number;
  /** From just before the publish request to the queue handler's first line, one event at a time. */
  deliveryLatency: Latency;
}

const SUBSCRIBER = `export default {
  async queue(batch, env) {
    const started = Date.now();
    for (const m of batch.messages) await env.T.put("t/" + m.id, String(started));
  },
};`;

export async function measureEvents(tmp: string, quick: boolean): Promise<EventFigures> {
  const dataDir = join(tmp, "events-data");
  const server = await startServer({ host: "127.0.0.1", port: 0, dataDir, logger: createLogger("silent") });
  try {
    const client = new PaveClient({ url: server.url, token: server.adminToken });
    // Throughput is measured on a topic nobody subscribes to (the commit itself); latency on one with a subscriber.
    await client.createTopic("sink");
    await client.createTopic("timed");
    const fnDir = join(tmp, "timed-sub");
    await mkdir(join(fnDir, "src"), { recursive: true });
    await writeFile(
      join(fnDir, "pave.yaml"),
      "name: timed\nentry: src/index.ts\nsubscriptions:\n  - topic: timed\n    batchSize: 1\nbindings:\n  kv: { T: { namespace: timed } }\n",
    );
    await writeFile(join(fnDir, "src/index.ts"), SUBSCRIBER);
    await client.deploy(fnDir);

    const concurrency = 8;
    const batchSize = 100;
    // Unmeasured: the first requests pay for JIT compilation and for the spare isolates the deploy set booting.
    for (let i = 0; i < 200; i++) await client.publish("sink", { data: { n: 0 } });
    const single = await rate(quick ? 2 : 5, concurrency, async () => {
      await client.publish("sink", { data: { n: 1 } });
      return 1;
    });
    const events = Array.from({ length: batchSize }, (_, n) => ({ data: { n } }));
    const batched = await rate(quick ? 2 : 5, 4, async () => {
      await client.publish("sink", { events });
      return batchSize;
    });

    const samples: number[] = [];
    const n = quick ? 50 : 200;
    const sent = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const t0 = Date.now();
      const out = await client.publish("timed", { data: { i } });
      sent.set(out.id as string, t0);
      await new Promise((r) => setTimeout(r, 10));
    }
    const deadline = Date.now() + 60_000;
    for (const [id, t0] of sent) {
      for (;;) {
        try {
          const v = await client.getKvValue("timed", `t/${id}`);
          samples.push(Number(Buffer.from(v.value).toString()) - t0);
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
    samples.sort((a, b) => a - b);
    const pct = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? 0;
    return {
      publishSinglePerSec: single,
      publishBatchedPerSec: batched,
      batchSize,
      concurrency,
      deliveryLatency: { samples: samples.length, p50Ms: pct(0.5), p99Ms: pct(0.99) },
    };
  } finally {
    await server.close();
  }
}

/** Runs `once` from `workers` loops for `seconds`; events per second, rounded. */
async function rate(seconds: number, workers: number, once: () => Promise<number>): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let count = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < end) {
        // Not `count += await once()`: that reads `count` before the await, and concurrent workers' adds are lost.
        const n = await once();
        count += n;
      }
    }),
  );
  return Math.round(count / ((performance.now() - t0) / 1000));
}
