// Writes activations with their log lines and spans to the store in batches, off the hot path: the gateway hands a
// record over synchronously and moves on; a timer (or a full batch) commits them in one transaction.

import type { Logger } from "../logger.ts";
import {
  type Activation,
  BatchBuilder,
  checkedMintedAt,
  invocationSpan,
  type LogEntry,
  type RecordBatch,
  type Span,
  type Store,
} from "../store/index.ts";

/** Where finished spans go besides the store (the OTLP export); handed a batch per flush, it must not block. */
export interface SpanExport {
  add(spans: Span[]): void;
}

export interface RecorderOptions {
  /**
   * How long a record may wait before its batch is written. @default 200 (against 50: ~6% more gateway throughput
   * under load, with a logging function; the writer thread wakes, and disturbs the rest, a quarter as often)
   */
  flushMs?: number;
  /**
   * A batch this large is written at once. @default 2000 (one transaction of about 40 ms on the writer thread: the
   * longest that other writes to the database wait behind it)
   */
  maxBatch?: number;
  /**
   * Activations kept while the store is failing; beyond this the oldest batches are dropped and counted.
   * @default 100000
   */
  maxBuffered?: number;
  /** Also hands every span here, once, as its batch is flushed. */
  exporter?: SpanExport;
}

const NO_SPANS: Span[] = [];
/**
 * Records are packed this many at a time, not one by one as they come. Between two requests the gateway runs a great
 * deal of other code; packing a record alone, its code and data were fetched again each time. Packed together they
 * stay in the cache: interleaved A/B (8 rounds), 3.5% more throughput with recording on, 0.7 µs less of the gateway's
 * thread a request (measured before runtime/small-map.ts; since, packing every 8 or 16 measured the same as 64 within
 * the noise, and every record alone 18% against 15%, 6 rounds). 64 records wait a few milliseconds under load: they
 * die young, before a young-generation collection would copy them.
 */
const PACK_EVERY = 64;

export class ActivationRecorder {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #flushMs: number;
  readonly #maxBatch: number;
  readonly #maxBuffered: number;
  /** What is packed and not yet handed to the store (see store/json-bytes.ts for why it is packed early). */
  #batch = new BatchBuilder();
  /** Records not yet packed: activation, its lines, its spans, and so on (see PACK_EVERY). */
  #unpacked: unknown[] = [];
  /** Batches packed and not yet committed, oldest first: one the store refused stays first, to be written again. */
  #ready: RecordBatch[] = [];
  /** Spans not yet handed to the exporter (a batch the store refused is written again, but not exported again). */
  #unexported: Span[] = [];
  readonly #exporter: SpanExport | undefined;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  /** Records lost because the store was failing for too long, or could not be packed; surfaced in the server log. */
  dropped = 0;

  constructor(store: Store, logger: Logger, options: RecorderOptions = {}) {
    this.#store = store;
    this.#logger = logger;
    this.#flushMs = options.flushMs ?? 200;
    this.#maxBatch = options.maxBatch ?? 2000;
    this.#maxBuffered = options.maxBuffered ?? 100_000;
    this.#exporter = options.exporter;
  }

  /**
   * Takes an activation with the lines it logged and the spans of its binding calls. The invocation's own span is not
   * stored: the activation holds it (see invocationSpan); it is made only for the export.
   */
  record(activation: Activation, logs: readonly LogEntry[], children: Span[] = NO_SPANS): void {
    // Refused here, where the caller hears of it, rather than when its batch is packed.
    checkedMintedAt(activation.id);
    this.#unpacked.push(activation, logs, children);
    if (this.#unpacked.length === PACK_EVERY * 3) this.#pack();
    if (this.#exporter) {
      const span = invocationSpan(activation);
      if (span) this.#unexported.push(span);
      for (const s of children) this.#unexported.push(s);
    }
    if (this.#batch.count + this.#unpacked.length / 3 >= this.#maxBatch) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#flushMs);
  }

  /**
   * Packs the records waiting for it into the open batch. One that cannot be packed (a field missing: not one the
   * invoker makes) is logged and dropped alone; the others, and whoever's record triggered the packing, go on.
   */
  #pack(): void {
    const records = this.#unpacked;
    this.#unpacked = [];
    for (let i = 0; i < records.length; i += 3) {
      const activation = records[i] as Activation;
      try {
        this.#batch.activation(activation, records[i + 1] as LogEntry[]);
      } catch (err) {
        this.dropped++;
        this.#logger.error({ err, activation: activation.id }, "recording an activation failed; it is dropped");
        continue;
      }
      for (const s of records[i + 2] as Span[]) this.#batch.span(s);
    }
  }

  /** Writes everything recorded so far; resolves when it is committed (or has failed and been kept for a retry). */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pack();
    if (!this.#batch.empty) {
      this.#ready.push(this.#batch.finish());
      this.#batch = new BatchBuilder();
    }
    this.#writing = this.#writing.then(() => this.#write());
    return this.#writing;
  }

  async #write(): Promise<void> {
    if (this.#unexported.length > 0) {
      // The export has its own queue and retries: it must not wait on the store, nor get a span twice.
      this.#exporter?.add(this.#unexported);
      this.#unexported = [];
    }
    // In order: a log line's id grows with the batch that wrote it.
    while (this.#ready.length > 0) {
      const batch = this.#ready[0] as RecordBatch;
      try {
        await this.#store.insertBatch(batch);
        this.#ready.shift();
      } catch (err) {
        this.#shed();
        // `dropped`: how many were lost so far (shed beyond maxBuffered, or unpackable); surfaced only here.
        this.#logger.error(
          { err, count: batch.count, dropped: this.dropped },
          "writing activations failed; will retry",
        );
        this.#timer ??= setTimeout(() => void this.flush(), 1000);
        return;
      }
    }
  }

  /** While the store fails, keeps at most maxBuffered activations waiting: the oldest batches go first. */
  #shed(): void {
    let waiting = this.#ready.reduce((n, b) => n + b.count, 0);
    while (waiting > this.#maxBuffered && this.#ready.length > 1) {
      const oldest = this.#ready.shift() as RecordBatch;
      waiting -= oldest.count;
      this.dropped += oldest.count;
    }
  }

  /** Flushes and stops; called on a clean shutdown so no accepted record is lost. */
  async close(): Promise<void> {
    await this.flush();
    if (this.#timer) clearTimeout(this.#timer);
  }
}
