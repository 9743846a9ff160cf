// Writes activations with their log lines and spans to the store in batches, off the hot path: the gateway hands a
// record over synchronously and moves on; a timer (or a full batch) commits them in one transaction.

import type { Logger } from "../logger.ts";
import { type Activation, invocationSpan, type LogLine, type Span, type Store } from "../store/index.ts";

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
  /** Records kept while the store is failing; beyond this the oldest are dropped and counted. @default 100000 */
  maxBuffered?: number;
  /** Also hands every span here, once, as its batch is flushed. */
  exporter?: SpanExport;
}

const NO_SPANS: Span[] = [];

export class ActivationRecorder {
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #flushMs: number;
  readonly #maxBatch: number;
  readonly #maxBuffered: number;
  #activations: Activation[] = [];
  #logs: LogLine[] = [];
  #spans: Span[] = [];
  /** Spans not yet handed to the exporter (a batch the store refused comes back to #spans, but not here). */
  #unexported: Span[] = [];
  readonly #exporter: SpanExport | undefined;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  /** Records lost because the store was failing for too long; surfaced in the server log. */
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
   * Takes an activation with its log lines and the spans of its binding calls. The invocation's own span is not
   * stored: the activation holds it (see invocationSpan); it is made only for the export.
   */
  record(activation: Activation, logs: LogLine[], children: Span[] = NO_SPANS): void {
    this.#activations.push(activation);
    for (const l of logs) this.#logs.push(l);
    for (const s of children) this.#spans.push(s);
    if (this.#exporter) {
      const span = invocationSpan(activation);
      if (span) this.#unexported.push(span);
      for (const s of children) this.#unexported.push(s);
    }
    if (this.#activations.length > this.#maxBuffered) {
      const excess = this.#activations.length - this.#maxBuffered;
      const gone = new Set(this.#activations.splice(0, excess).map((a) => a.id));
      this.#logs = this.#logs.filter((l) => !gone.has(l.activationId));
      this.#spans = this.#spans.filter((s) => !gone.has(s.activationId));
      this.dropped += excess;
    }
    if (this.#activations.length >= this.#maxBatch) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#flushMs);
  }

  /** Writes everything recorded so far; resolves when it is committed (or has failed and been re-queued). */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#writing = this.#writing.then(() => this.#write());
    return this.#writing;
  }

  async #write(): Promise<void> {
    if (this.#unexported.length > 0) {
      // The export has its own queue and retries: it must not wait on the store, nor get a span twice.
      this.#exporter?.add(this.#unexported);
      this.#unexported = [];
    }
    if (this.#activations.length === 0 && this.#logs.length === 0 && this.#spans.length === 0) return;
    const activations = this.#activations;
    const logs = this.#logs;
    const spans = this.#spans;
    this.#activations = [];
    this.#logs = [];
    this.#spans = [];
    try {
      await this.#store.insertActivations(activations, logs, spans);
    } catch (err) {
      // `dropped`: how many the buffer has shed so far (beyond maxBuffered) — the only place it is surfaced.
      this.#logger.error(
        { err, count: activations.length, dropped: this.dropped },
        "writing activations failed; will retry",
      );
      this.#activations = activations.concat(this.#activations);
      this.#logs = logs.concat(this.#logs);
      this.#spans = spans.concat(this.#spans);
      this.#timer ??= setTimeout(() => void this.flush(), 1000);
    }
  }

  /** Flushes and stops; called on a clean shutdown so no accepted record is lost. */
  async close(): Promise<void> {
    await this.flush();
    if (this.#timer) clearTimeout(this.#timer);
  }
}
