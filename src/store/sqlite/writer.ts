// Runs the activation writer on a worker thread. Each gateway request leaves an activation to write; committing them
// on the event loop stalled every request in flight for the length of a batch (~10% of the gateway's time, and the
// p99), so a file store commits them on a thread of its own. Rows cross as arrays of column values, in one JSON
// string per batch: posting a string is a copy, where structured-cloning the arrays was ~5% of the event loop's time.
// Chunks of activations (with their lines) cross as they are: a few rows, each with its body's bytes (copied, not
// transferred: a batch that fails is written again, from the gateway's copy).
import { Worker } from "node:worker_threads";
import type { Batch, BatchSql } from "./batch-writer.ts";

export interface WriterSetup extends BatchSql {
  path: string;
}

export type WriterRequest =
  /** `rows`: JSON of [links, spans, rollups] (see Batch). */
  { kind: "write"; seq: number; chunks: unknown[][]; rows: string } | { kind: "close" };

export interface WriterResponse {
  seq: number;
  error?: string;
}

/** The thread runs TypeScript like the rest of Pave: through tsx, registered the way `bin/pave.js` does it. */
const BOOT = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))})
  .then(({ register }) => { register(); return import(${JSON.stringify(import.meta.resolve("./writer-thread.ts"))}); })`;

interface Pending {
  done: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class WriterThread {
  readonly #setup: WriterSetup;
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #seq = 0;

  constructor(setup: WriterSetup) {
    this.#setup = setup;
  }

  /** Resolves once the batch is committed; rejects with SQLite's error (the caller keeps the rows and retries). */
  write(batch: Batch): Promise<void> {
    const seq = ++this.#seq;
    const { promise: done, resolve, reject } = withResolvers();
    this.#pending.set(seq, { done, resolve, reject });
    const worker = this.#start();
    // Alive while a batch is out, so an awaited write cannot be cut short; idle, it must not hold the process open.
    if (this.#pending.size === 1) worker.ref();
    const rows = JSON.stringify([batch.links, batch.spans, batch.rollups]);
    worker.postMessage({ kind: "write", seq, chunks: batch.chunks, rows } satisfies WriterRequest);
    return done;
  }

  /** Waits for the batches already sent, then lets the thread close its connection and exit. */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    await Promise.allSettled([...this.#pending.values()].map((p) => p.done));
    const exited = new Promise((resolve) => worker.once("exit", resolve));
    worker.ref();
    worker.postMessage({ kind: "close" } satisfies WriterRequest);
    await exited;
  }

  /** Boots the thread ahead of the first write (it holds the process open only while a batch is out). */
  start(): void {
    this.#start();
  }

  /** Started on first use, and again after a crash (whose batches were rejected, so their rows will come back). */
  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(BOOT, { eval: true, workerData: this.#setup });
    worker.on("message", (m: WriterResponse) => {
      const p = this.#pending.get(m.seq);
      this.#pending.delete(m.seq);
      if (this.#pending.size === 0) worker.unref();
      if (m.error === undefined) p?.resolve();
      else p?.reject(new Error(`writing activations failed: ${m.error}`));
    });
    const fail = (err: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the activation writer thread exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }
}

/** Promise.withResolvers, which Node 20 lacks. */
function withResolvers(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}
