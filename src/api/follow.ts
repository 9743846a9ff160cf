// `pave logs --follow` over server-sent events: polls the store from a cursor, so it works the same on one node
// or many, and a client that reconnects with Last-Event-ID misses nothing.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { LogQuery, Store } from "../store/index.ts";

const POLL_MS = 250;
const HEARTBEAT_MS = 15_000;

/** Streams until the client goes away or `shutdown` aborts (the server is stopping: the client reconnects elsewhere). */
export async function followLogs(
  store: Store,
  query: LogQuery,
  request: FastifyRequest,
  reply: FastifyReply,
  shutdown: AbortSignal,
): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  res.write("retry: 1000\n\n");
  let closed = shutdown.aborted;
  let wake: (() => void) | undefined;
  const stop = () => {
    closed = true;
    wake?.();
  };
  request.raw.on("close", stop);
  shutdown.addEventListener("abort", stop, { once: true });
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  let q = query;
  let lastBeat = Date.now();
  while (!closed) {
    let lines: Awaited<ReturnType<Store["listLogs"]>>;
    try {
      lines = await store.listLogs(q);
    } catch {
      // The store is briefly unavailable: keep the stream open and try again; the cursor loses nothing.
      await pause(POLL_MS * 4);
      continue;
    }
    for (const line of lines) res.write(`id: ${line.id}\ndata: ${JSON.stringify(line)}\n\n`);
    const last = lines.at(-1)?.id;
    // After the first page, follow strictly forward from the newest line seen.
    q = { ...q, after: last ?? q.after ?? 0, limit: 500 };
    if (q.since !== undefined) delete q.since;
    if (Date.now() - lastBeat > HEARTBEAT_MS) {
      res.write(": keep-alive\n\n");
      lastBeat = Date.now();
    }
    if (lines.length < (q.limit ?? 500)) await pause(POLL_MS);
  }
  shutdown.removeEventListener("abort", stop);
  res.end();
}
