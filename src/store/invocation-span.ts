// The span of one invocation, made from its activation: a `server` span whose attributes follow OpenTelemetry's FaaS
// and HTTP semantic conventions (docs/traces.md lists them). It is not stored: the activation holds all it says.
import type { Activation, Span, Trigger } from "./types.ts";

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

/** The invocation's span, or undefined for an activation recorded before activations kept their span's id. */
export function invocationSpan(a: Activation): Span | undefined {
  if (a.spanId === undefined || a.spanStartedAt === undefined) return undefined;
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
  if (a.httpMethod !== undefined && a.httpPath !== undefined) {
    attributes["http.request.method"] = a.httpMethod;
    attributes["url.path"] = a.httpPath;
  }
  if (a.httpStatus !== null) attributes["http.response.status_code"] = a.httpStatus;
  if (a.errorCode !== null) attributes["error.type"] = a.errorCode;
  return {
    traceId: a.traceId,
    spanId: a.spanId,
    parentSpanId: a.parentSpanId ?? null,
    // OpenTelemetry names HTTP server spans `METHOD route`; the gateway's route for a function is /fn/<name>.
    name: a.httpMethod !== undefined && a.trigger === "http" ? `${a.httpMethod} /fn/${a.function}` : a.function,
    kind: "server",
    startedAt: a.spanStartedAt,
    durationMs: a.durationMs,
    status: a.status === "error" ? "error" : "ok",
    statusMessage: a.status === "error" ? (a.errorMessage ?? a.errorCode) : null,
    attributes,
    activationId: a.id,
    env: a.env,
    function: a.function,
  };
}
