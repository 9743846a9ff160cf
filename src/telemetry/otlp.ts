// Optional export of spans over OTLP/HTTP (JSON) to an OpenTelemetry Collector, Jaeger, Tempo, …: the recorder hands
// over each flushed batch; here they wait in a bounded queue and go out in batches through the official exporter.
import { type SpanContext, SpanKind, SpanStatusCode, TraceFlags } from "@opentelemetry/api";
import { ExportResultCode, millisToHrTime } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { type Resource, resourceFromAttributes } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_NAMESPACE } from "@opentelemetry/semantic-conventions";
import type { Logger } from "../logger.ts";
import type { Span } from "../store/index.ts";
import type { SpanExport } from "./recorder.ts";

export interface OtlpOptions {
  /**
   * The collector: a base URL (`http://collector:4318`, to which `/v1/traces` is added) or the full traces URL.
   * @example "http://127.0.0.1:4318"
   */
  endpoint: string;
  /** Extra request headers (an API key). @default {} */
  headers?: Record<string, string>;
  /** Spans waiting to be sent; beyond this, new ones are dropped and counted. @default 20000 */
  maxQueue?: number;
  /** Most spans per export request. @default 512 */
  maxBatch?: number;
  /** How long a span may wait for its batch to fill. @default 1000 */
  delayMs?: number;
  /** One export's budget, retries included. @default 10000 */
  timeoutMs?: number;
  /**
   * How long a clean shutdown waits for the queue to go out; what is left then is dropped (and logged), so a
   * collector that is down cannot hold the server's exit for a retry budget per batch.
   * @default 5000
   */
  shutdownMs?: number;
  /** Pave's version, named by the instrumentation scope `pave` of every span. */
  version: string;
}

const KIND: Record<Span["kind"], SpanKind> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  internal: SpanKind.INTERNAL,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

export class OtlpExport implements SpanExport {
  readonly #exporter: OTLPTraceExporter;
  readonly #logger: Logger;
  readonly #maxQueue: number;
  readonly #maxBatch: number;
  readonly #delayMs: number;
  readonly #version: string;
  readonly #resources = new Map<string, Resource>();
  readonly #shutdownMs: number;
  #queue: Span[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** The loop sending the queue, while one runs: it takes whatever is added meanwhile. */
  #draining: Promise<void> | undefined;
  /** When dropping spans was last logged (see add). */
  #droppingLoggedAt = 0;
  /** Spans refused because the queue was full (the collector is slow or down). */
  dropped = 0;
  /** Spans the collector never took, after the exporter's retries. */
  failed = 0;
  /** Spans the collector accepted. */
  sent = 0;

  constructor(options: OtlpOptions, logger: Logger) {
    const url = /\/v1\/traces\/?$/.test(options.endpoint)
      ? options.endpoint
      : `${options.endpoint.replace(/\/+$/, "")}/v1/traces`;
    // The exporter retries 429, 502, 503 and 504 itself (with backoff, honouring Retry-After) within timeoutMillis.
    this.#exporter = new OTLPTraceExporter({
      url,
      headers: options.headers ?? {},
      timeoutMillis: options.timeoutMs ?? 10_000,
    });
    this.#logger = logger;
    this.#maxQueue = options.maxQueue ?? 20_000;
    this.#maxBatch = options.maxBatch ?? 512;
    this.#delayMs = options.delayMs ?? 1000;
    this.#shutdownMs = options.shutdownMs ?? 5000;
    this.#version = options.version;
  }

  add(spans: Span[]): void {
    const room = this.#maxQueue - this.#queue.length;
    if (spans.length > room) {
      this.dropped += spans.length - Math.max(0, room);
      // Said at most every 10 s for as long as the collector keeps up with less than it is sent.
      if (Date.now() - this.#droppingLoggedAt >= 10_000) {
        this.#droppingLoggedAt = Date.now();
        this.#logger.warn(
          { dropped: this.dropped, queued: this.#queue.length },
          "the OTLP queue is full (the collector is slow or down): new spans are dropped",
        );
      }
    }
    for (let i = 0; i < Math.min(room, spans.length); i++) this.#queue.push(spans[i] as Span);
    if (this.#queue.length >= this.#maxBatch) void this.flush();
    else if (this.#queue.length > 0 && !this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), this.#delayMs);
      this.#timer.unref();
    }
  }

  /**
   * Sends everything queued, one batch at a time; resolves once the queue is empty and each batch got its answer.
   * One loop at a time: a flush while one runs joins it (a chain of waiting loops grew for as long as the collector
   * was down).
   */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#draining ??= (async () => {
      try {
        while (this.#queue.length > 0) await this.#send(this.#queue.splice(0, this.#maxBatch));
      } finally {
        this.#draining = undefined;
      }
    })();
    return this.#draining;
  }

  /**
   * Flushes, then closes the exporter: a clean shutdown loses nothing a working collector would take. Waits at most
   * shutdownMs; what is still queued then is counted as failed, and logged.
   */
  async shutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.#shutdownMs);
    });
    // It may settle after the deadline, when no one awaits it any more: a failure is logged, never left unhandled.
    const closed = (async () => {
      await this.flush();
      await this.#exporter.shutdown();
      return true;
    })().catch((err: unknown) => {
      this.#logger.warn({ err }, "closing the OTLP exporter failed");
      return true;
    });
    const done = await Promise.race([closed, deadline]);
    clearTimeout(timer);
    if (done) return;
    const left = this.#queue.splice(0).length;
    this.failed += left;
    this.#logger.warn(
      { unsent: left, failed: this.failed, dropped: this.dropped },
      `the collector did not take the last spans within ${this.#shutdownMs} ms of shutting down; they are dropped`,
    );
  }

  #send(batch: Span[]): Promise<void> {
    const spans = batch.map((s) => this.#readable(s));
    return new Promise((resolve) => {
      this.#exporter.export(spans, (result) => {
        if (result.code === ExportResultCode.SUCCESS) this.sent += batch.length;
        else {
          this.failed += batch.length;
          this.#logger.warn(
            { err: result.error, spans: batch.length, failed: this.failed, dropped: this.dropped },
            "exporting spans over OTLP failed",
          );
        }
        resolve();
      });
    });
  }

  /** Pave's plain span as the SDK's ReadableSpan, which the exporter serialises. Done here, off the hot path. */
  #readable(s: Span): ReadableSpan {
    const context: SpanContext = { traceId: s.traceId, spanId: s.spanId, traceFlags: TraceFlags.SAMPLED };
    const endedAt = s.startedAt + s.durationMs;
    return {
      name: s.name,
      kind: KIND[s.kind],
      spanContext: () => context,
      ...(s.parentSpanId !== null && {
        parentSpanContext: {
          traceId: s.traceId,
          spanId: s.parentSpanId,
          traceFlags: TraceFlags.SAMPLED,
          // An invocation's parent is its caller's span: outside this process.
          isRemote: s.kind === "server",
        },
      }),
      startTime: millisToHrTime(s.startedAt),
      endTime: millisToHrTime(endedAt),
      duration: millisToHrTime(s.durationMs),
      status:
        s.status === "error"
          ? { code: SpanStatusCode.ERROR, ...(s.statusMessage !== null && { message: s.statusMessage }) }
          : { code: SpanStatusCode.UNSET },
      attributes: s.attributes,
      links: [],
      events: [],
      ended: true,
      resource: this.#resource(s.env, s.function),
      instrumentationScope: { name: "pave", version: this.#version },
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
  }

  /** One resource per function: a collector's UI (Jaeger, Tempo) then shows each function as a service of its own. */
  #resource(env: string, fn: string): Resource {
    const key = `${env}/${fn}`;
    let resource = this.#resources.get(key);
    if (!resource) {
      resource = resourceFromAttributes({
        [ATTR_SERVICE_NAME]: fn,
        [ATTR_SERVICE_NAMESPACE]: env,
        "faas.name": fn,
        "pave.env": env,
      });
      this.#resources.set(key, resource);
    }
    return resource;
  }
}
