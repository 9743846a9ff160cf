// The spans of an invocation's binding calls (kv, fetch, service, publish), made here on the host from the
// invocation's own context: the isolate never sees a child span id before it is used, nor chooses one.
import type { Span, SpanAttributeValue, SpanKind } from "../../store/index.ts";
import { formatTraceparent, newSpanId } from "../../telemetry/index.ts";
import type { InvocationMeta } from "../protocol.ts";

/** Where an invocation's finished child spans go (allocated on the first one: most invocations make no calls). */
export interface SpanSink {
  meta: InvocationMeta;
  spans?: Span[];
}

/**
 * Epoch ms to the µs, on one monotonic clock for every span of this process. Whole µs, as OpenTelemetry's JavaScript
 * clock gives them: an activation stores its span's start as a small integer then (store/activation-chunks.ts).
 */
export function spanClock(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000;
}

/** Starts a child span of the invocation, or returns undefined when it runs outside a trace (runtime tests). */
export function openSpan(
  sink: SpanSink,
  where: { env: string; function: string },
  name: string,
  kind: SpanKind,
  attributes: Record<string, SpanAttributeValue> = {},
): Span | undefined {
  const { meta } = sink;
  if (!meta.spanId || !meta.traceId) return undefined;
  return {
    traceId: meta.traceId,
    spanId: newSpanId(),
    parentSpanId: meta.spanId,
    name,
    kind,
    startedAt: spanClock(),
    durationMs: 0,
    status: "ok",
    statusMessage: null,
    attributes,
    activationId: meta.id,
    env: where.env,
    function: where.function,
  };
}

/** Ends a span, as failed with `error` (its code becomes `error.type`), and hands it to the invocation. */
export function closeSpan(sink: SpanSink, span: Span, error?: { code: string; message: string }): void {
  span.durationMs = Math.round((spanClock() - span.startedAt) * 1000) / 1000;
  if (error) {
    span.status = "error";
    span.statusMessage = error.message;
    span.attributes["error.type"] = error.code;
  }
  if (sink.spans) sink.spans.push(span);
  else sink.spans = [span];
}

/** The headers that carry the trace to a callee: this span as its parent, and the trace's `tracestate`. */
export function traceHeaders(span: Span, traceState: string | undefined): [string, string][] {
  const headers: [string, string][] = [["traceparent", formatTraceparent(span.traceId, span.spanId)]];
  if (traceState) headers.push(["tracestate", traceState]);
  return headers;
}

/** Drops the trace headers function code set: the host's are the ones that go out. */
export function withoutTraceHeaders(headers: [string, string][]): [string, string][] {
  return headers.filter(([k]) => {
    const name = k.toLowerCase();
    return name !== "traceparent" && name !== "tracestate";
  });
}
