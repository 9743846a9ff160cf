// W3C Trace Context (https://www.w3.org/TR/trace-context/): reading `traceparent` and `tracestate` as a request
// brings them, and writing them for the calls a function makes.

/** What a valid incoming `traceparent` says: the trace to continue and the caller's span, our span's parent. */
export interface TraceParent {
  traceId: string;
  parentSpanId: string;
}

const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);
/** Version 00 is exactly this; a later version starts with it and may add fields after another `-`. */
const V00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const LATER = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(?:-|$)/;

/**
 * Parses a `traceparent` header. Anything malformed — bad hex, uppercase, wrong lengths, an all-zero trace or span
 * id, version `ff` — gives undefined: the spec says to ignore it and start a new trace.
 * @example parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
 */
export function parseTraceparent(header: string | undefined): TraceParent | undefined {
  if (header === undefined) return undefined;
  // A later version is read by the version-00 rules as far as they go (the spec's forward compatibility).
  const m = header.startsWith("00") ? V00.exec(header) : header.startsWith("ff") ? null : LATER.exec(header);
  if (!m) return undefined;
  const traceId = m[1] as string;
  const parentSpanId = m[2] as string;
  if (traceId === ZERO_TRACE || parentSpanId === ZERO_SPAN) return undefined;
  return { traceId, parentSpanId };
}

/** Most list members a `tracestate` may hold. */
export const TRACESTATE_MAX_MEMBERS = 32;
const KEY = /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})$/;
/** Printable ASCII but `,` and `=`, up to 256 characters, not ending in a space. */
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * Validates a `tracestate` header and returns it normalised (members without surrounding blanks, joined by `,`), or
 * undefined when it is absent, empty, malformed (a bad key or value, a duplicate key) or over 32 members — then it is
 * dropped whole, never passed on half-read.
 */
export function parseTracestate(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const members: string[] = [];
  const keys = new Set<string>();
  for (const raw of header.split(",")) {
    const member = raw.trim();
    if (member === "") continue;
    const eq = member.indexOf("=");
    if (eq === -1) return undefined;
    const key = member.slice(0, eq);
    if (!KEY.test(key) || !VALUE.test(member.slice(eq + 1)) || keys.has(key)) return undefined;
    keys.add(key);
    members.push(member);
    if (members.length > TRACESTATE_MAX_MEMBERS) return undefined;
  }
  return members.length === 0 ? undefined : members.join(",");
}

/** The `traceparent` naming `spanId` as the caller; always sampled, since Pave records every invocation. */
export function formatTraceparent(traceId: string, spanId: string): string {
  return `00-${traceId}-${spanId}-01`;
}
