// The host side of a function's bindings: what each `env.X` call may do, checked against the version's grants.
// The sandbox's objects only forward here; a call naming anything the manifest did not grant is refused.
import { v7 as uuidv7 } from "uuid";
import type { EgressCall, KvEntry, KvListPage, KvListQuery, NewEvent, Span, SpanKind } from "../../store/index.ts";
import { headersProblem } from "../http-headers.ts";
import type { BindingSpec, HttpResponse, InvocationMeta } from "../protocol.ts";
import { type EgressLimits, type EgressRequest, egressFetch, parseEgressGrants } from "./egress.ts";
import { checkKvKey, checkKvValue, expiryOf, KV_LIST_MAX } from "./kv.ts";
import { refuse } from "./refuse.ts";
import { closeSpan, openSpan, traceHeaders, withoutTraceHeaders } from "./spans.ts";

export { EgressError, type EgressLimits, type EgressRequest, type EgressResponse } from "./egress.ts";
export { spanClock } from "./spans.ts";

/** A version's grants, as `pave.yaml` declares them under `bindings:`. */
export interface Grants {
  kv: Record<string, { namespace: string; access: "read" | "read-write" }>;
  secrets: string[];
  egress: string[];
  services: Record<string, string>;
  topics: Record<string, string>;
}

export const NO_GRANTS: Grants = { kv: {}, secrets: [], egress: [], services: {}, topics: {} };

/** A service call leaving one function for another. */
export interface ServiceCall {
  env: string;
  /** The function named by the binding. */
  target: string;
  request: { method: string; url: string; headers: [string, string][]; body: string | Uint8Array | null };
  caller: InvocationMeta;
  /** The caller's `client` span of this call: the callee's invocation span is its child. */
  spanId?: string;
}

/** What the runtime needs from the rest of Pave to serve bindings; the server provides it. */
export interface BindingHost {
  kvGet(env: string, namespace: string, key: string, now: number): Promise<KvEntry | undefined>;
  kvPut(env: string, namespace: string, key: string, entry: KvEntry): Promise<void>;
  kvDelete(env: string, namespace: string, key: string): Promise<boolean>;
  kvList(env: string, namespace: string, query: KvListQuery, now: number): Promise<KvListPage>;
  /** The decrypted values of the named secrets that exist. */
  secrets(env: string, names: string[]): Promise<Map<string, string>>;
  /** Runs the target's live version with the request; its errors come back as error responses. */
  callService(call: ServiceCall): Promise<HttpResponse>;
  /** Appends events to a topic durably (throws TopicNotFound). */
  publishEvents(env: string, topic: string, events: NewEvent[]): Promise<void>;
}

/** The invocation on whose behalf a binding call runs. */
export interface CallContext {
  meta: InvocationMeta;
  egress: EgressCall[];
  /** The spans of its binding calls, once it made one. */
  spans?: Span[];
}

/** The span each operation is recorded as; `fetch` makes its own, one per request (see egress.ts). */
const SPAN_KINDS: Record<string, SpanKind | null> = {
  "kv.get": "client",
  "kv.put": "client",
  "kv.delete": "client",
  "kv.list": "client",
  fetch: null,
  service: "client",
  publish: "producer",
};

/** A version's bindings, ready for one instance: what its `env` holds, and the handler of its calls. */
export interface InstanceBindings {
  spec: BindingSpec;
  /** Secret values, so logs and error messages can be scrubbed of them. */
  secretValues: Map<string, string>;
  handle(ctx: CallContext | undefined, op: string, args: unknown[]): Promise<unknown>;
}

/** Service calls nested deeper than this fail with RecursionLimit: a loop of functions calling each other stops. */
export const MAX_CALL_DEPTH = 16;

/** Largest message `publish` accepts, in bytes of JSON (SQS and EventBridge allow 256 KiB). */
export const MAX_EVENT_BYTES = 256 * 1024;

export async function instanceBindings(
  host: BindingHost | undefined,
  version: { env: string; function: string; grants?: Grants | undefined },
  egressLimits: EgressLimits,
): Promise<InstanceBindings> {
  const { env } = version;
  const grants = version.grants ?? NO_GRANTS;
  const secretValues =
    grants.secrets.length > 0 && host ? await host.secrets(env, grants.secrets) : new Map<string, string>();
  const spec: BindingSpec = {
    kv: Object.keys(grants.kv),
    services: Object.keys(grants.services),
    topics: Object.keys(grants.topics),
    secrets: Object.fromEntries(secretValues),
  };
  const egress = parseEgressGrants(grants.egress);

  const need = (): BindingHost => {
    if (!host) throw refuse("Internal", "bindings are not available in this runtime");
    return host;
  };
  const kvGrant = (binding: unknown, write: boolean) => {
    const grant = grants.kv[String(binding)];
    if (!grant) throw refuse("BindingDenied", `no kv binding named ${String(binding)} in this function's manifest`);
    if (write && grant.access !== "read-write") {
      throw refuse("BindingDenied", `the kv binding ${String(binding)} is read-only (access: read)`);
    }
    return grant.namespace;
  };

  /**
   * A shadow invocation mirrors a request the live version already served: a write would happen twice, against the
   * same data. Refused unless the operator allowed shadow writes (docs/traffic.md).
   */
  const writable = (ctx: CallContext, what: string) => {
    if (ctx.meta.readOnly) {
      throw refuse(
        "BindingDenied",
        `${what} is refused in a shadow invocation: the live version already handled this request, so the write would happen twice (deploy with --shadow-writes to allow it)`,
      );
    }
  };

  /** Names a kv call's span as OpenTelemetry's database spans: the operation and the namespace. */
  const kvSpan = (span: Span | undefined, operation: string, binding: unknown, namespace: string) => {
    if (!span) return;
    span.name = `kv.${operation} ${namespace}`;
    span.attributes["db.system.name"] = "pave.kv";
    span.attributes["db.operation.name"] = operation;
    span.attributes["db.namespace"] = namespace;
    span.attributes["pave.binding"] = String(binding);
  };

  const ops: Record<string, (ctx: CallContext, args: unknown[], span: Span | undefined) => Promise<unknown>> = {
    "kv.get": async (_ctx, [binding, key], span) => {
      const namespace = kvGrant(binding, false);
      kvSpan(span, "get", binding, namespace);
      const entry = await need().kvGet(env, namespace, checkKvKey(key), Date.now());
      return entry ? entry.value : null;
    },
    "kv.put": async (ctx, [binding, key, value, ttl, expiration], span) => {
      const namespace = kvGrant(binding, true);
      writable(ctx, `kv put on ${String(binding)}`);
      kvSpan(span, "put", binding, namespace);
      const entry = { value: checkKvValue(value), expiresAt: expiryOf(ttl, expiration, Date.now()) };
      await need().kvPut(env, namespace, checkKvKey(key), entry);
      return null;
    },
    "kv.delete": async (ctx, [binding, key], span) => {
      writable(ctx, `kv delete on ${String(binding)}`);
      const namespace = kvGrant(binding, true);
      kvSpan(span, "delete", binding, namespace);
      await need().kvDelete(env, namespace, checkKvKey(key));
      return null;
    },
    "kv.list": async (_ctx, [binding, query], span) => {
      const namespace = kvGrant(binding, false);
      kvSpan(span, "list", binding, namespace);
      const q = (query ?? {}) as { prefix: string | null; cursor: string | null; limit: number | null };
      const limit = q.limit ?? KV_LIST_MAX;
      if (!Number.isInteger(limit) || limit < 1 || limit > KV_LIST_MAX) {
        throw refuse("BadRequest", `list limit must be an integer from 1 to ${KV_LIST_MAX}`);
      }
      const page = await need().kvList(
        env,
        namespace,
        { limit, ...(q.prefix !== null && { prefix: q.prefix }), ...(q.cursor !== null && { cursor: q.cursor }) },
        Date.now(),
      );
      return {
        keys: page.keys.map((k) => ({
          name: k.name,
          ...(k.expiresAt !== null && { expiration: Math.floor(k.expiresAt / 1000) }),
        })),
        list_complete: page.cursor === null,
        ...(page.cursor !== null && { cursor: page.cursor }),
      };
    },
    fetch: async (ctx, [request]) => {
      const r = await egressFetch(
        egress,
        request as EgressRequest,
        ctx.meta.deadline,
        egressLimits,
        (call) => ctx.egress.push(call),
        { sink: ctx, env, function: version.function },
      );
      return r;
    },
    service: async (ctx, [binding, request], span) => {
      const target = grants.services[String(binding)];
      const req = request as ServiceCall["request"];
      if (span) {
        span.name = `${req.method} ${target ?? String(binding)}`;
        span.attributes["http.request.method"] = req.method;
        span.attributes["pave.binding"] = String(binding);
        if (target) span.attributes["pave.service.target"] = target;
      }
      if (!target) throw refuse("BindingDenied", `no service binding named ${String(binding)}`);
      // The callee's sandbox takes an incoming request's headers as checked (sandbox/headers.ts trustedHeaders).
      const problem = headersProblem(req.headers);
      if (problem) throw refuse("BadRequest", `the request to ${target}: ${problem}`);
      const depth = (ctx.meta.depth ?? 0) + 1;
      if (depth > MAX_CALL_DEPTH) {
        throw refuse(
          "RecursionLimit",
          `calling ${target} would nest service calls ${depth} deep; the limit is ${MAX_CALL_DEPTH}`,
        );
      }
      // The callee sees the trace as any HTTP server would: in its request's headers, naming this call's span; and
      // the correlation id it is recorded under, not one the caller's code set.
      const own = req.headers.filter(([name]) => name.toLowerCase() !== "x-correlation-id");
      const headers = (span ? withoutTraceHeaders(own).concat(traceHeaders(span, ctx.meta.traceState)) : own).concat(
        ctx.meta.correlationId === undefined ? [] : [["x-correlation-id", ctx.meta.correlationId]],
      );
      const res = await need().callService({
        env,
        target,
        request: { ...req, headers },
        caller: ctx.meta,
        ...(span && { spanId: span.spanId }),
      });
      if (span) {
        span.attributes["http.response.status_code"] = res.status;
        // The callee failed (its error is on its own span): the call did too, though it returns the error response.
        if (res.status >= 500) {
          span.status = "error";
          span.statusMessage = `HTTP ${res.status}`;
          span.attributes["error.type"] = String(res.status);
        }
      }
      return { status: res.status, headers: res.headers, body: res.body };
    },
    publish: async (ctx, [binding, json], span) => {
      const topic = grants.topics[String(binding)];
      if (span) {
        span.name = `send ${topic ?? String(binding)}`;
        span.attributes["messaging.system"] = "pave";
        span.attributes["messaging.operation.type"] = "send";
        span.attributes["messaging.operation.name"] = "publish";
        span.attributes["messaging.destination.name"] = topic ?? String(binding);
        span.attributes["pave.binding"] = String(binding);
      }
      if (!topic) throw refuse("BindingDenied", `no topic binding named ${String(binding)}`);
      writable(ctx, `publishing to ${String(binding)}`);
      const payload = String(json);
      const bytes = Buffer.byteLength(payload);
      if (bytes > MAX_EVENT_BYTES) {
        throw refuse("PayloadTooLarge", `the message is ${bytes} bytes of JSON; the limit is ${MAX_EVENT_BYTES}`);
      }
      const id = uuidv7();
      if (span) span.attributes["messaging.message.id"] = id;
      await need().publishEvents(env, topic, [
        {
          id,
          payload,
          correlationId: ctx.meta.correlationId ?? "",
          traceId: ctx.meta.traceId ?? "",
          ...(span && { spanId: span.spanId }),
          source: `function:${version.function}`,
          publishedAt: Date.now(),
        },
      ]);
      return { id };
    },
  };

  return {
    spec,
    secretValues,
    async handle(ctx, op, args) {
      const run = ops[op];
      if (!run) throw refuse("Internal", `unknown binding operation ${op}`);
      // Work started after its invocation ended (a leaked promise) has no one to act for.
      if (!ctx) throw refuse("BindingDenied", "binding calls are only possible while an invocation runs");
      const kind = SPAN_KINDS[op];
      const span = kind ? openSpan(ctx, version, op, kind, {}) : undefined;
      try {
        const value = await run(ctx, args, span);
        if (span) closeSpan(ctx, span);
        return value;
      } catch (err) {
        // Codes travel in the message (STYLE 6); keep those we set, prefix store errors with theirs.
        const code = (err as { code?: unknown }).code;
        const message = err instanceof Error ? err.message : String(err);
        if (span) closeSpan(ctx, span, { code: typeof code === "string" ? code : "Internal", message });
        if (typeof code === "string" && !message.startsWith(`${code}:`)) throw refuse(code, message);
        throw err;
      }
    },
  };
}

/** Replaces every secret value in `text` with `[secret NAME]`: secrets never reach logs or activations. */
export function redactSecrets(text: string, secrets: Map<string, string>): string {
  let out = text;
  for (const [name, value] of secrets) {
    // Very short values would shred ordinary text; they are refused at `pave secret set` anyway.
    if (value.length >= 4 && out.includes(value)) out = out.split(value).join(`[secret ${name}]`);
  }
  return out;
}
