// `pave logs --follow` over server-sent events: polls the store from a cursor, so it works the same on one node
// or many, and a client that reconnects with Last-Event-ID misses nothing.
import type { FastifyReply, FastifyRequest } from "fastify";
import { LINE_ID_BASE, type LogQuery, type Store } from "../store/index.ts";

const POLL_MS = 250;
const HEARTBEAT_MS = 15_000;

function withoutSince({ since: _, ...rest }: LogQuery): LogQuery {
  return rest;
}

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
  // A follower that resumes (a cursor, or Last-Event-ID) goes on from its cursor alone: `since` chose where it
  // started, and read anew (a relative `2s`) it would drop the lines logged while it was away.
  let q = query.after === undefined ? query : withoutSince(query);
  let lastBeat = Date.now();
  while (!closed) {
    let lines: Awaited<ReturnType<Store["listLogs"]>>;
    let horizon: number;
    try {
      // Read first: whatever the query finds, no line up to here is still to come.
      horizon = await store.logHorizon(q.env);
      // A cursor this store cannot place goes on from the newest line: one from before migration 019 (lines were
      // numbered apart then; read as today's it would send old lines again), or one beyond every line stored (from
      // another store), which would wait for ids that may never come.
      if (q.after !== undefined && (q.after > horizon || (q.after > 0 && q.after < LINE_ID_BASE))) {
        q = { ...q, after: horizon };
      }
      lines = await store.listLogs(q);
    } catch {
      // The store is briefly unavailable: keep the stream open and try again; the cursor loses nothing.
      await pause(POLL_MS * 4);
      continue;
    }
    for (const line of lines) res.write(`id: ${line.id}\ndata: ${JSON.stringify(line)}\n\n`);
    // A full page going forward may have more behind it. Otherwise the next poll starts at the horizon, not at the
    // last line sent: a first page that found nothing must not start from the beginning, and a `--level error`
    // follower of a busy function must not read the same lines again every poll.
    const more = q.after !== undefined && lines.length >= q.limit;
    const last = lines.at(-1)?.id ?? 0;
    q = { ...withoutSince(q), after: more ? last : Math.max(last, q.after ?? 0, horizon), limit: 500 };
    if (Date.now() - lastBeat > HEARTBEAT_MS) {
      res.write(": keep-alive\n\n");
      lastBeat = Date.now();
    }
    if (!more) await pause(POLL_MS);
  }
  shutdown.removeEventListener("abort", stop);
  res.end();
}
