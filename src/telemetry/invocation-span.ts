// The span of one invocation, made from its activation once it is over: a `server` span whose attributes follow
// OpenTelemetry's FaaS and HTTP semantic conventions (docs/traces.md lists them).
import type { Activation, Span, Trigger } from "../store/index.ts";

/**
 * Pave's triggers as `faas.trigger` values: a service call is an HTTP request from another function, a schedule's
 * tick is `timer`, a topic's batch `pubsub`, and a shadow (a mirrored copy of any request) is `other`.
 */
export const FAAS_TRIGGER: Record<Trigger, string> = {
  http: "http",
  service: "http",
  invoke: "other",
  schedule: "timer",
  shadow: "other",
  topic: "pubsub",
};

/**
 * The invocation's span. `startedAt` is on the span clock (fractional epoch ms, see runtime spanClock) so its
 * children line up with it; `http` is the request an http or service invocation answered.
 */
export function invocationSpan(
  a: Activation,
  ids: { spanId: string; parentSpanId: string | null },
  startedAt: number,
  http: { method: string; path: string } | null,
): Span {
  const attributes: Span["attributes"] = {
    "faas.trigger": FAAS_TRIGGER[a.trigger],
    "faas.invocation_id": a.id,
    "faas.coldstart": a.cold,
    "faas.name": a.function,
    "faas.version": a.version,
    "faas.max_memory": a.memoryMb * 1024 * 1024,
    "pave.env": a.env,
    "pave.trigger": a.trigger,
    "pave.correlation_id": a.correlationId,
    "pave.billed_ms": a.billedMs,
  };
  if (http) {
    attributes["http.request.method"] = http.method;
    attributes["url.path"] = http.path;
  }
  if (a.httpStatus !== null) attributes["http.response.status_code"] = a.httpStatus;
  if (a.errorCode !== null) attributes["error.type"] = a.errorCode;
  return {
    traceId: a.traceId,
    spanId: ids.spanId,
    parentSpanId: ids.parentSpanId,
    // OpenTelemetry names HTTP server spans `METHOD route`; the gateway's route for a function is /fn/<name>.
    name: http && a.trigger === "http" ? `${http.method} /fn/${a.function}` : a.function,
    kind: "server",
    startedAt,
    durationMs: a.durationMs,
    status: a.status === "error" ? "error" : "ok",
    statusMessage: a.status === "error" ? (a.errorMessage ?? a.errorCode) : null,
    attributes,
    activationId: a.id,
    env: a.env,
    function: a.function,
  };
}
