// What crosses the isolate boundary, both ways. Plain data only (copied by isolated-vm); errors are values
// with a code, never thrown objects matched by instanceof.

export type HandlerStyle = "web" | "lambda";

export interface InvocationMeta {
  /** The activation id; Lambda's `awsRequestId`. */
  id: string;
  functionName: string;
  functionVersion: string;
  memoryMb: number;
  /** Epoch ms by which the invocation must finish. */
  deadline: number;
  /** The W3C trace id it belongs to, carried into service calls and published events. @default "" */
  traceId?: string;
  /** The invocation's own span id (16 hex digits): the spans of its binding calls are its children. @default "" */
  spanId?: string;
  /** The W3C `tracestate` that came with the trace, passed on unchanged to the calls it makes. */
  traceState?: string;
  /** @default "" */
  correlationId?: string;
  /** How many service calls led here: 0 for a trigger, +1 per `env.SERVICE.fetch` hop. @default 0 */
  depth?: number;
  /** A shadow invocation (docs/traffic.md): kv writes and topic publishes are refused. @default false */
  readOnly?: boolean;
}

/** What a version's `env` holds, as the sandbox builds it: binding names by kind, and the secrets' values. */
export interface BindingSpec {
  kv: string[];
  services: string[];
  topics: string[];
  secrets: Record<string, string>;
}

/** An HTTP request for a web-standard `fetch` handler. */
export interface FetchInvocation {
  kind: "fetch";
  meta: InvocationMeta;
  method: string;
  url: string;
  headers: [string, string][];
  body: string | Uint8Array | null;
}

/** A JSON event for a Lambda-style `handler` (an API Gateway v2 event for HTTP, the payload for direct invokes). */
export interface EventInvocation {
  kind: "event";
  meta: InvocationMeta;
  /** JSON text of the event. */
  event: string;
  /** Whether the handler may return nothing (a scheduled event: like EventBridge, nobody reads the result). */
  resultOptional?: boolean;
}

/** A schedule's tick for a web-standard `scheduled` handler (Cloudflare's ScheduledController). */
export interface ScheduledInvocation {
  kind: "scheduled";
  meta: InvocationMeta;
  /** The manifest's cron pattern. */
  cron: string;
  /** Epoch ms of the tick this run is for. */
  scheduledTime: number;
}

/** One message of a queue batch as it crosses into the isolate. */
export interface QueueMessageData {
  /** The event id: the same at every attempt and for every subscriber, so handlers can deduplicate on it. */
  id: string;
  /** Epoch ms of the publish. */
  timestamp: number;
  /** JSON text of the event's body. */
  body: string;
  /** Deliveries so far, this one included (1 on the first). */
  attempts: number;
}

/** A batch of a topic's events for a web-standard `queue` handler (Cloudflare Queues' MessageBatch). */
export interface QueueInvocation {
  kind: "queue";
  meta: InvocationMeta;
  /** The topic's name. */
  queue: string;
  messages: QueueMessageData[];
}

/** What a queue handler decided, per message: those not listed are acked. */
export interface QueueVerdict {
  retry: { id: string; delaySeconds?: number }[];
}

export type Invocation = FetchInvocation | EventInvocation | ScheduledInvocation | QueueInvocation;

export interface HttpResponse {
  kind: "response";
  status: number;
  headers: [string, string][];
  body: string | Uint8Array | null;
}

export type SandboxResult =
  | HttpResponse
  /** A Lambda handler's return value as JSON text (`undefined` is refused inside the sandbox). */
  | { kind: "value"; json: string }
  | { kind: "error"; code: "FunctionError" | "InvalidResponse" | "InvalidHandler"; message: string };

/** A function's outbound `fetch` as it leaves the sandbox (buffered: the body was read to its end inside). */
export interface FetchRequest {
  url: string;
  method: string;
  headers: [string, string][];
  body: Uint8Array | string | null;
  /** `follow` (the default), `manual` (return the 3xx) or `error`; the host follows, checking each hop. */
  redirect?: string;
}

/** What the host's egress brings back; `url` and `redirected` describe the redirects it followed. */
export interface FetchResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Uint8Array;
  url: string;
  redirected: boolean;
}

/** What the fetch bridge answers: the response, or why there is none (a message, never a thrown object). */
export type FetchReply = { ok: true; response: FetchResponse } | { ok: false; message: string };

export type SandboxLogLevel = "debug" | "info" | "warn" | "error";

// An invocation crosses into the isolate as one flat array of strings and numbers, not nested objects. isolated-vm
// copies by serializing, at a cost per object and per property: a hello request's invocation copies out of the host
// and into the isolate in 2.2 µs of CPU flat, against 5.0 µs as objects (applySync on batches of three). Only what
// the sandbox reads crosses: the trace and correlation ids stay with the host, whose bindings act on them. Both sides
// use these two functions, so they use nothing but the language.

/** `[kind, id, functionName, functionVersion, memoryMb, deadline, …the kind's own fields]`. */
export type WireInvocation = unknown[];

export function toWire(inv: Invocation): WireInvocation {
  const m = inv.meta;
  const w: WireInvocation = [inv.kind, m.id, m.functionName, m.functionVersion, m.memoryMb, m.deadline];
  switch (inv.kind) {
    case "fetch":
      // The headers come last, as name, value, name, value…
      w.push(inv.method, inv.url, inv.body);
      for (const [name, value] of inv.headers) w.push(name, value);
      break;
    case "event":
      w.push(inv.event, !!inv.resultOptional);
      break;
    case "scheduled":
      w.push(inv.cron, inv.scheduledTime);
      break;
    case "queue":
      w.push(inv.queue, inv.messages);
      break;
  }
  return w;
}

/**
 * Inside the isolate, after function code may have run: no method of an array or object prototype is called here
 * (function code can replace them), only literals, indexing and `length`. Code that puts accessors on
 * Array.prototype's indexes disturbs only its own invocations, as any global it changes does: an instance runs one
 * version.
 */
export function fromWire(w: WireInvocation): Invocation {
  const meta: InvocationMeta = {
    id: w[1] as string,
    functionName: w[2] as string,
    functionVersion: w[3] as string,
    memoryMb: w[4] as number,
    deadline: w[5] as number,
  };
  switch (w[0]) {
    case "fetch": {
      const headers: [string, string][] = [];
      for (let i = 9; i < w.length; i += 2) headers[headers.length] = [w[i] as string, w[i + 1] as string];
      return {
        kind: "fetch",
        meta,
        method: w[6] as string,
        url: w[7] as string,
        body: w[8] as string | Uint8Array | null,
        headers,
      };
    }
    case "event":
      return { kind: "event", meta, event: w[6] as string, resultOptional: w[7] as boolean };
    case "scheduled":
      return { kind: "scheduled", meta, cron: w[6] as string, scheduledTime: w[7] as number };
    default:
      return { kind: "queue", meta, queue: w[6] as string, messages: w[7] as QueueMessages };
  }
}

type QueueMessages = Extract<Invocation, { kind: "queue" }>["messages"];

/**
 * A result leaves the isolate flat too: `["response", status, body, …header name, value pairs]`, `["value", json]`
 * or `["error", code, message]`. Copying it out as an object cost the host's thread ~1 µs more per invocation.
 */
export type WireResult = unknown[];

/** Inside the isolate, as fromWire: no prototype method is called (function code may have replaced them). */
export function resultToWire(r: SandboxResult): WireResult {
  switch (r.kind) {
    case "response": {
      const w: WireResult = ["response", r.status, r.body];
      const headers = r.headers;
      for (let i = 0; i < headers.length; i++) {
        const pair = headers[i] as [string, string];
        w[w.length] = pair[0];
        w[w.length] = pair[1];
      }
      return w;
    }
    case "value":
      return ["value", r.json];
    default:
      return ["error", r.code, r.message];
  }
}

const SANDBOX_CODES = new Set(["FunctionError", "InvalidResponse", "InvalidHandler"]);

/**
 * On the host. What comes out of the isolate is not to be trusted: a response's fields are checked later, as any
 * response's are (responseProblem in index.ts); anything that is not a result at all is an InvalidResponse.
 */
export function resultFromWire(w: unknown): SandboxResult {
  if (!Array.isArray(w)) return { kind: "error", code: "InvalidResponse", message: "the function sent no result" };
  switch (w[0]) {
    case "response": {
      const headers: [string, string][] = [];
      for (let i = 3; i < w.length; i += 2) headers.push([w[i], w[i + 1]]);
      return { kind: "response", status: w[1], body: w[2], headers };
    }
    case "value":
      return { kind: "value", json: String(w[1]) };
    case "error":
      return { kind: "error", code: SANDBOX_CODES.has(w[1]) ? w[1] : "FunctionError", message: String(w[2]) };
    default:
      return { kind: "error", code: "InvalidResponse", message: "the function sent no result" };
  }
}
