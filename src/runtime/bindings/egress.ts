// Outbound `fetch` for functions: only to hosts the manifest grants, performed by the host with a deadline and size
// limits, and recorded. Private, loopback, link-local and this machine's own addresses need an explicit grant.
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import { networkInterfaces } from "node:os";
import ipaddr from "ipaddr.js";
import { Agent, request } from "undici";
import type { EgressCall, Span } from "../../store/index.ts";
import type { FetchRequest, FetchResponse } from "../protocol.ts";
import { closeSpan, openSpan, type SpanSink, traceHeaders, withoutTraceHeaders } from "./spans.ts";

/** A request as it leaves the sandbox, and the response the host brings back. */
export type EgressRequest = FetchRequest;
export type EgressResponse = FetchResponse;

export interface EgressLimits {
  /** Largest response body read, in bytes. @default 6 MiB */
  maxResponseBytes: number;
  /** Longest a single call may take, also bounded by the invocation's deadline. @default 30000 */
  timeoutMs: number;
}

/** A refusal or failure with a code, which the sandbox turns into fetch's TypeError (`EgressDenied: …`). */
export class EgressError extends Error {
  readonly code: "EgressDenied" | "EgressFailed" | "EgressTooLarge" | "Timeout";
  constructor(code: EgressError["code"], message: string) {
    super(message);
    this.code = code;
  }
}

/** The invocation a fetch traces into: each request (redirects too) is a `client` span, its id sent in `traceparent`. */
export interface EgressTrace {
  sink: SpanSink;
  env: string;
  function: string;
}

/** One manifest `egress:` entry: `host`, `host:port`, `*.domain` (subdomains), or an IP literal (`[::1]:8080`). */
interface Grant {
  host: string;
  port: string | null;
  wildcard: boolean;
}

/** Parses the manifest's `egress:` list once per version. */
export function parseEgressGrants(entries: string[]): Grant[] {
  return entries.map((entry) => {
    const e = entry.toLowerCase();
    const wildcard = e.startsWith("*.");
    const rest = wildcard ? e.slice(2) : e;
    const m = /^(\[[0-9a-f:.]+\]|[^:]+)(?::(\d+))?$/.exec(rest);
    const host = (m?.[1] ?? rest).replace(/^\[|\]$/g, "");
    return { host, port: m?.[2] ?? null, wildcard };
  });
}

/** Whether a grant names the host: "explicit" (may reach private addresses), "wildcard", or not at all. */
function match(grants: Grant[], hostname: string, port: string): "explicit" | "wildcard" | null {
  let found: "explicit" | "wildcard" | null = null;
  for (const g of grants) {
    if (g.port !== null && g.port !== port) continue;
    if (!g.wildcard && g.host === hostname) return "explicit";
    if (g.wildcard && hostname.endsWith(`.${g.host}`)) found = "wildcard";
  }
  return found;
}

/** Addresses of this machine: Pave itself listens on some of them, so they count as private. */
let ownAddresses: Set<string> | undefined;
function isOwnAddress(address: string): boolean {
  ownAddresses ??= new Set(
    Object.values(networkInterfaces())
      .flat()
      .map((i) => i?.address)
      .filter((a): a is string => a !== undefined),
  );
  return ownAddresses.has(address);
}

/** Why an address may not be reached without an explicit grant, or null when it is public. */
function privateReason(address: string): string | null {
  if (!ipaddr.isValid(address)) return "is not an IP address";
  const range = ipaddr.process(address).range();
  if (range !== "unicast") return `is a ${range} address`;
  if (isOwnAddress(address)) return "is an address of the Pave server itself";
  return null;
}

/**
 * The DNS step of a connection to a host reached through a wildcard or with no private grant: every address it
 * resolves to is checked at connect time, so a name that re-resolves to 127.0.0.1 (DNS rebinding) is still refused.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, "", 0);
    for (const a of addresses) {
      const reason = privateReason(a.address);
      if (reason) {
        const denied = new EgressError(
          "EgressDenied",
          `${hostname} resolves to ${a.address}, which ${reason}; list the host explicitly in egress to allow it`,
        );
        return callback(denied as NodeJS.ErrnoException, "", 0);
      }
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0];
    if (!first) return callback(new Error(`${hostname} has no address`), "", 0);
    callback(null, first.address, first.family);
  });
};

const agents = {
  publicOnly: new Agent({ connect: { lookup: publicOnlyLookup }, keepAliveTimeout: 10_000 }),
  explicit: new Agent({ keepAliveTimeout: 10_000 }),
};

/** Checks one URL against the grants; returns the agent to use or throws EgressDenied. */
function admit(grants: Grant[], url: URL): Agent {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new EgressError("EgressDenied", `fetch supports http and https only, not ${url.protocol}`);
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  const granted = match(grants, hostname, port);
  if (!granted) {
    throw new EgressError(
      "EgressDenied",
      `${url.host} is not in this function's egress list; add it to bindings.egress in pave.yaml`,
    );
  }
  if (granted === "explicit") return agents.explicit;
  if (ipaddr.isValid(hostname)) {
    const reason = privateReason(hostname);
    if (reason) throw new EgressError("EgressDenied", `${hostname} ${reason}; list it explicitly in egress`);
  }
  return agents.publicOnly;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"]);

/**
 * Performs one function `fetch`: each hop (redirects are followed here, at most 20) is checked against the grants.
 * `record` receives the call's facts whether it succeeded or not; with `trace`, each request is also a span.
 */
export async function egressFetch(
  grants: Grant[],
  req: EgressRequest,
  deadline: number,
  limits: EgressLimits,
  record: (call: EgressCall) => void,
  trace?: EgressTrace,
): Promise<EgressResponse> {
  let url = new URL(req.url);
  let method = req.method.toUpperCase();
  let body = req.body;
  let headers = req.headers.filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase()));
  if (trace) headers = withoutTraceHeaders(headers);
  for (let hop = 0; ; hop++) {
    const res = await oneCall(grants, url, method, headers, body, deadline, limits, record, trace);
    const location = res.headers.find(([k]) => k === "location")?.[1];
    if (!REDIRECTS.has(res.status) || location === undefined || req.redirect === "manual") {
      return { ...res, url: url.href, redirected: hop > 0 };
    }
    if (req.redirect === "error") throw new EgressError("EgressFailed", `redirected to ${location}`);
    if (hop >= 20) throw new EgressError("EgressFailed", "more than 20 redirects");
    const next = new URL(location, url);
    // As fetch does: 303, and 301/302 after POST, turn into a GET without a body.
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
      method = method === "HEAD" ? "HEAD" : "GET";
      body = null;
      headers = headers.filter(([k]) => !/^content-/i.test(k));
    }
    // Credentials never follow a redirect to another origin.
    if (next.origin !== url.origin) headers = headers.filter(([k]) => !/^(authorization|cookie)$/i.test(k));
    url = next;
  }
}

async function oneCall(
  grants: Grant[],
  url: URL,
  method: string,
  headers: [string, string][],
  body: Uint8Array | string | null,
  deadline: number,
  limits: EgressLimits,
  record: (call: EgressCall) => void,
  trace: EgressTrace | undefined,
): Promise<Omit<EgressResponse, "url" | "redirected">> {
  const started = performance.now();
  const bytesOut = body === null ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
  const call: EgressCall = { host: url.host, method, status: null, bytesOut, bytesIn: 0, durationMs: 0 };
  const span = trace && openSpan(trace.sink, trace, `${method} ${url.host}`, "client", clientAttributes(url, method));
  const finish = (error?: EgressError) => {
    call.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    record(call);
    if (!span || !trace) return;
    const status = call.status;
    if (status !== null) span.attributes["http.response.status_code"] = status;
    // As OpenTelemetry's HTTP client spans: a 4xx or 5xx answer is a failed call too.
    const failed = error
      ? { code: error.code, message: error.message }
      : status !== null && status >= 400
        ? { code: String(status), message: `HTTP ${status}` }
        : undefined;
    closeSpan(trace.sink, span, failed);
  };
  const sent = span ? headers.concat(traceHeaders(span, trace?.sink.meta.traceState)) : headers;
  try {
    const dispatcher = admit(grants, url);
    const budget = Math.min(limits.timeoutMs, deadline - Date.now());
    if (budget <= 0) throw new EgressError("Timeout", "the invocation has no time left for this call");
    const res = await request(url, {
      dispatcher,
      method: method as "GET",
      headers: sent.flat(),
      body: body ?? null,
      signal: AbortSignal.timeout(budget),
    });
    call.status = res.statusCode;
    const chunks: Buffer[] = [];
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      call.bytesIn += chunk.length;
      if (call.bytesIn > limits.maxResponseBytes) {
        res.body.destroy();
        throw new EgressError(
          "EgressTooLarge",
          `the response from ${url.host} exceeds ${limits.maxResponseBytes} bytes`,
        );
      }
      chunks.push(chunk);
    }
    const out: [string, string][] = [];
    for (const [k, v] of Object.entries(res.headers)) {
      if (Array.isArray(v)) for (const one of v) out.push([k, one]);
      else if (v !== undefined) out.push([k, v]);
    }
    finish();
    return { status: res.statusCode, statusText: res.statusText, headers: out, body: Buffer.concat(chunks) };
  } catch (err) {
    const e = toEgressError(err, url);
    call.status = null;
    call.error = e.code;
    finish(e);
    throw e;
  }
}

/** OpenTelemetry's HTTP client attributes. `url.full` has no query, fragment or credentials: they may hold secrets. */
function clientAttributes(url: URL, method: string): Span["attributes"] {
  return {
    "http.request.method": method,
    "server.address": url.hostname,
    "server.port": Number(url.port || (url.protocol === "https:" ? 443 : 80)),
    "url.full": `${url.origin}${url.pathname}`,
  };
}

function toEgressError(err: unknown, url: URL): EgressError {
  if (err instanceof EgressError) return err;
  // The lookup's refusal arrives wrapped by the socket layer; keep its code and words.
  const cause = (err as { cause?: unknown })?.cause;
  if (cause instanceof EgressError) return cause;
  const name = (err as { name?: string })?.name;
  if (name === "TimeoutError" || name === "AbortError") {
    return new EgressError("Timeout", `the call to ${url.host} timed out`);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new EgressError("EgressFailed", `the call to ${url.host} failed: ${message}`);
}
