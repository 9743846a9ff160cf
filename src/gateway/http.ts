// The data plane: `/fn/<name>[@<alias>]/<path…>` → the router's pick of the alias's versions → the response. Written on
// node:http directly because it is the hot path; bodies are bounded while streaming in, errors are JSON with a code.

import type { IncomingMessage, ServerResponse } from "node:http";
import { PaveError, toErrorBody } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { HttpResponse } from "../runtime/index.ts";
import { notReadyIfUnreachable } from "../store/index.ts";
import { formatTraceparent, newActivationIds, parseTraceparent, parseTracestate } from "../telemetry/index.ts";
import type { InvokeIds, Invoker } from "./invoker.ts";

export interface GatewayOptions {
  /** Largest request body accepted, in bytes. @default 6 MiB (Lambda's synchronous payload limit) */
  maxBodyBytes: number;
  env: string;
}

const PREFIX = "/fn/";
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** The client key of sticky A/B assignment: this header, else this cookie (docs/traffic.md). */
const CLIENT_HEADER = "x-pave-client";
const CLIENT_COOKIE = /(?:^|;\s*)pave-client=([^;]*)/;
/** Hop-by-hop headers a function may not set on the response. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "content-length"]);

export function isGatewayPath(url: string): boolean {
  return url.startsWith(PREFIX);
}

/**
 * The ids an invocation is recorded under: a new activation id; the trace of a valid W3C `traceparent` (its span
 * becomes our span's parent, and a valid `tracestate` is kept), else a new trace whose id is the activation id's 32
 * hex digits (time-prefixed like X-Ray's, unique, never all zeros); a new span id; and the caller's
 * `x-correlation-id` when well-formed, else the activation id — the first activation of a chain names it. The ids
 * come from a pool of random bytes (see telemetry/ids.ts). Shared with the control API.
 */
export function invokeIds(
  traceparent: string | undefined,
  tracestate: string | undefined,
  correlationId: string | undefined,
): InvokeIds {
  const [activationId, ownTraceId, ownSpanId] = newActivationIds();
  const parent = parseTraceparent(traceparent);
  return {
    activationId,
    traceId: parent?.traceId ?? ownTraceId,
    spanId: ownSpanId,
    parentSpanId: parent?.parentSpanId ?? null,
    // The spec: a tracestate is only read alongside a valid traceparent.
    traceState: parent && parseTracestate(tracestate),
    correlationId: correlationId && CORRELATION_ID.test(correlationId) ? correlationId : activationId,
  };
}

/** The `traceparent` a response carries: the invocation's own span, so the caller can find it in the trace. */
export function responseTraceparent(ids: InvokeIds): string {
  return formatTraceparent(ids.traceId, ids.spanId);
}

export function createGatewayHandler(invoker: Invoker, logger: Logger, options: GatewayOptions) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    // Response headers gather here and go out in one writeHead: setHeader validated and stored each in an object
    // first, 5–8 µs per request.
    const out: string[] = [];
    handle(invoker, options, req, res, out).catch((err: unknown) => {
      if (!(err instanceof PaveError)) logger.error({ err, url: req.url }, "gateway request failed");
      // A route not cached on this node needs the database; while it is away that is NotReady (503), not Internal.
      sendError(res, notReadyIfUnreachable(err), out);
    });
  };
}

/** Serves one request; `out` collects the response headers known so far (the error path sends them too). */
async function handle(
  invoker: Invoker,
  options: GatewayOptions,
  req: IncomingMessage,
  res: ServerResponse,
  out: string[],
): Promise<void> {
  const rawUrl = req.url ?? "/";
  const q = rawUrl.indexOf("?");
  const pathPart = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const rawQuery = q === -1 ? "" : rawUrl.slice(q + 1);
  const rest = pathPart.slice(PREFIX.length);
  const slash = rest.indexOf("/");
  // The function sees its own root: /fn/hello/a/b → /a/b.
  const path = slash === -1 ? "/" : rest.slice(slash);

  const ids = invokeIds(header(req, "traceparent"), header(req, "tracestate"), header(req, "x-correlation-id"));
  out.push("x-correlation-id", ids.correlationId, "traceparent", responseTraceparent(ids));

  let name: string;
  try {
    name = decodeURIComponent(slash === -1 ? rest : rest.slice(0, slash));
  } catch {
    throw new PaveError("BadRequest", "the function name in the path is not valid percent-encoding");
  }
  // `/fn/checkout@staging/…` is served by alias `staging` instead of `live`.
  const at = name.indexOf("@");
  const alias = at === -1 ? "live" : name.slice(at + 1);
  if (at !== -1) name = name.slice(0, at);
  if (!name) throw new PaveError("RouteNotFound", "no function named in the path; use /fn/<name>/…");
  if (!alias) throw new PaveError("RouteNotFound", "no alias after @ in the path; use /fn/<name>@<alias>/…");
  const body = await readBody(req, options.maxBodyBytes);
  const host = header(req, "host") ?? "localhost";
  const headers: [string, string][] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.push([raw[i] as string, raw[i + 1] as string]);
  const outcome = await invoker.invokeHttp(
    options.env,
    name,
    {
      method: req.method ?? "GET",
      path,
      rawQuery,
      headers,
      body,
      sourceIp: req.socket.remoteAddress ?? "",
      host,
      requestId: "",
      startedAt: Date.now(),
    },
    `http://${host}${path}${q === -1 ? "" : `?${rawQuery}`}`,
    ids,
    { alias, clientKey: clientKey(req) },
  );
  out.push("x-pave-activation-id", outcome.activationId, "x-pave-version", outcome.version);
  const result = outcome.result;
  if (result.kind === "error") {
    throw new PaveError(result.code, result.message, { details: { activationId: outcome.activationId } });
  }
  if (result.kind !== "response") throw new PaveError("Internal", "an http invocation produced no response");
  sendResponse(res, result, out);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function clientKey(req: IncomingMessage): string | undefined {
  const key = header(req, CLIENT_HEADER);
  if (key) return key;
  const cookie = req.headers.cookie;
  return cookie === undefined ? undefined : cookie.match(CLIENT_COOKIE)?.[1] || undefined;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) {
    // Refuse before reading: the client learns at once, and we never buffer what we will not accept.
    req.resume();
    return Promise.reject(tooLarge(declared, limit));
  }
  if (req.method === "GET" || req.method === "HEAD") {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        reject(tooLarge(size, limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(size === 0 ? null : Buffer.concat(chunks, size)));
    req.on("error", reject);
  });
}

function tooLarge(size: number, limit: number): PaveError {
  return new PaveError("PayloadTooLarge", `request body of ${size} bytes exceeds the limit of ${limit} bytes`);
}

/** The function's response after Pave's headers (`out`); its hop-by-hop headers are dropped, its length is ours. */
function sendResponse(res: ServerResponse, r: HttpResponse, out: string[]): void {
  // A copy: were writeHead to refuse a header, the error response must not carry the function's.
  const headers = out.slice();
  for (const [k, v] of r.headers) {
    const name = k.toLowerCase();
    if (HOP_BY_HOP.has(name)) continue;
    headers.push(name, v);
  }
  const body = r.body ?? undefined;
  // Given here, since the headers are written before the body: without it Node would send the body chunked.
  if (r.status !== 204 && r.status !== 304 && r.status >= 200) {
    const length = body === undefined ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
    headers.push("content-length", String(length));
  }
  res.writeHead(r.status, headers);
  res.end(body);
}

function sendError(res: ServerResponse, err: unknown, out: string[]): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, body } = toErrorBody(err);
  const json = JSON.stringify(body);
  out.push("content-type", "application/json", "content-length", String(Buffer.byteLength(json)));
  res.writeHead(status, out);
  res.end(json);
}
