// Request and Response as the Fetch standard shapes them, over the Body in body.ts.
import type { FetchResponse } from "../protocol.ts";
import { Body, cloneBody, type Extracted, extractBody, takeBody } from "./body.ts";
import { freezeHeaders, Headers, type HeadersInit, trustedHeaders } from "./headers.ts";
import { events } from "./lazy.ts";

declare const URL: new (url: string, base?: string) => { href: string; username: string; password: string };

type AbortSignal = import("./events.ts").AbortSignal;

export interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: unknown;
  signal?: AbortSignal | null;
  redirect?: string;
  duplex?: string;
  [INTERNAL]?: Internal;
}

/**
 * Marks a URL the host already parsed and serialised (Node's WHATWG parser), so building the incoming Request
 * skips a second parse — a blocking round trip to the host on every invocation. Module-private: function code
 * cannot reach the symbol, so it cannot smuggle an unparsed URL in.
 */
export const HOST_URL: unique symbol = Symbol("pave.hostUrl");

/** Module-private init members: a body already extracted (clone), or a response's internal fields. */
const INTERNAL: unique symbol = Symbol("pave.internal");
interface Internal {
  body?: Extracted;
  /** Taken as they are, not copied (the incoming request's: see hostRequest). */
  headers?: Headers;
  status?: number;
  type?: string;
  url?: string;
  redirected?: boolean;
  immutable?: boolean;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NORMALISED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);
const REDIRECT_MODES = new Set(["follow", "error", "manual"]);

function normaliseMethod(method: unknown): string {
  const m = String(method);
  if (!TOKEN.test(m)) throw new TypeError(`'${m}' is not a valid HTTP method`);
  const upper = m.toUpperCase();
  if (FORBIDDEN_METHODS.has(upper)) throw new TypeError(`'${m}' HTTP method is unsupported`);
  return NORMALISED_METHODS.has(upper) ? upper : m;
}

function isAbortSignal(value: unknown): value is AbortSignal {
  // No AbortSignal can exist before its module was loaded.
  const e = events.loaded();
  return e !== undefined && value instanceof e.AbortSignal;
}

/** The signal a request was given (not its own, which follows it); set in Request's static block. */
export let givenSignal: (request: Request) => AbortSignal | null;

export class Request extends Body {
  readonly #method: string;
  readonly #url: string;
  readonly #headers: Headers;
  readonly #redirect: string;
  readonly #given: AbortSignal | null;
  #signal: AbortSignal | undefined;

  constructor(input: unknown, init: RequestInit = {}) {
    const source = input instanceof Request ? input : undefined;
    const fromHost = typeof input === "object" && input !== null && HOST_URL in input;
    let url: string;
    if (source) url = source.#url;
    else if (fromHost) url = (input as { [HOST_URL]: string })[HOST_URL];
    else {
      const parsed = new URL(String(input));
      if (parsed.username || parsed.password) {
        throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${parsed.href}`);
      }
      url = parsed.href;
    }
    const method = init.method !== undefined ? normaliseMethod(init.method) : source ? source.#method : "GET";
    const internal = init[INTERNAL];
    const headers =
      internal?.headers ??
      new Headers(init.headers !== undefined ? init.headers : source ? source.#headers : undefined);
    const redirect = String(init.redirect ?? (source ? source.#redirect : "follow"));
    if (!REDIRECT_MODES.has(redirect)) throw new TypeError(`'${redirect}' is not a valid redirect mode`);
    const signal = init.signal !== undefined ? init.signal : source ? source.#given : null;
    if (signal !== null && !isAbortSignal(signal)) throw new TypeError("signal is not an AbortSignal");

    const hasInitBody = init.body !== undefined && init.body !== null;
    let body: Extracted = { source: null, stream: null, contentType: null };
    if (internal?.body) body = internal.body;
    else if (hasInitBody) body = extractBody(init.body);
    else if (source) body = takeBody(source);
    if ((body.source !== null || body.stream !== null) && (method === "GET" || method === "HEAD")) {
      throw new TypeError("Request with GET/HEAD method cannot have body.");
    }
    if (hasInitBody && body.stream !== null && init.duplex !== "half") {
      throw new TypeError("RequestInit: duplex 'half' is required when the body is a ReadableStream");
    }
    if (body.contentType !== null && !headers.has("content-type")) headers.set("content-type", body.contentType);
    super(body);
    this.#method = method;
    this.#url = url;
    this.#headers = headers;
    this.#redirect = redirect;
    this.#given = signal;
  }

  static {
    givenSignal = (r) => r.#given;
  }

  get method(): string {
    return this.#method;
  }

  get url(): string {
    return this.#url;
  }

  get headers(): Headers {
    return this.#headers;
  }

  get redirect(): string {
    return this.#redirect;
  }

  /** The request's own signal, made on first access: it aborts when the signal the request was given does. */
  get signal(): AbortSignal {
    const e = events.get();
    this.#signal ??= this.#given ? e.dependentSignal(this.#given) : new e.AbortController().signal;
    return this.#signal;
  }

  get cache(): string {
    return "default";
  }

  get credentials(): string {
    return "same-origin";
  }

  get mode(): string {
    return "cors";
  }

  get destination(): string {
    return "";
  }

  get referrer(): string {
    return "about:client";
  }

  get referrerPolicy(): string {
    return "";
  }

  get integrity(): string {
    return "";
  }

  get keepalive(): boolean {
    return false;
  }

  get duplex(): string {
    return "half";
  }

  clone(): Request {
    if (this.bodyUsed) throw new TypeError("Cannot clone a Request whose body has been used.");
    const internal: Internal = { body: cloneBody(this) };
    return new Request(this, { [INTERNAL]: internal });
  }

  get [Symbol.toStringTag]() {
    return "Request";
  }
}

export interface ResponseInit {
  status?: number;
  statusText?: string;
  headers?: HeadersInit;
  [INTERNAL]?: Internal;
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
/** HTTP's reason-phrase: tabs, spaces, visible ASCII and obs-text. */
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

export class Response extends Body {
  readonly #status: number;
  readonly #statusText: string;
  readonly #headers: Headers;
  readonly #type: string;
  readonly #url: string;
  readonly #redirected: boolean;
  readonly #immutable: boolean;

  constructor(body: unknown = null, init: ResponseInit = {}) {
    const internal = init?.[INTERNAL];
    const status = internal?.status ?? (init?.status === undefined ? 200 : Number(init.status));
    if (!internal && (!Number.isInteger(status) || status < 200 || status > 599)) {
      throw new RangeError(`Response status must be an integer from 200 to 599, got ${String(init.status)}`);
    }
    const statusText = init?.statusText === undefined ? "" : String(init.statusText);
    if (!REASON_PHRASE.test(statusText)) throw new TypeError(`Invalid statusText: "${statusText}"`);
    const headers = new Headers(init?.headers);
    const extracted = internal?.body ?? extractBody(body);
    const hasBody = extracted.source !== null || extracted.stream !== null;
    if (hasBody && NULL_BODY_STATUS.has(status) && !internal) {
      throw new TypeError(`Response with null body status ${status} cannot have body`);
    }
    if (extracted.contentType !== null && !headers.has("content-type")) {
      headers.set("content-type", extracted.contentType);
    }
    if (internal?.immutable) freezeHeaders(headers);
    super(extracted);
    this.#status = status;
    this.#statusText = statusText;
    this.#headers = headers;
    this.#type = internal?.type ?? "default";
    this.#url = internal?.url ?? "";
    this.#redirected = internal?.redirected ?? false;
    this.#immutable = internal?.immutable ?? false;
  }

  get status(): number {
    return this.#status;
  }

  get ok(): boolean {
    return this.#status >= 200 && this.#status < 300;
  }

  get statusText(): string {
    return this.#statusText;
  }

  get headers(): Headers {
    return this.#headers;
  }

  get type(): string {
    return this.#type;
  }

  get url(): string {
    return this.#url;
  }

  get redirected(): boolean {
    return this.#redirected;
  }

  clone(): Response {
    if (this.bodyUsed) throw new TypeError("Cannot clone a Response whose body has been used.");
    const internal: Internal = {
      body: cloneBody(this),
      status: this.#status,
      type: this.#type,
      url: this.#url,
      redirected: this.#redirected,
      immutable: this.#immutable,
    };
    return new Response(null, { statusText: this.#statusText, headers: this.#headers, [INTERNAL]: internal });
  }

  static error(): Response {
    const internal: Internal = { status: 0, type: "error", immutable: true };
    return new Response(null, { [INTERNAL]: internal });
  }

  static json(data: unknown, init: ResponseInit = {}): Response {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError("Value is not JSON serializable");
    const headers = new Headers(init.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    // Named fields, not `{ ...init, headers }`: a spread followed by more properties builds a new hidden class on
    // every call in this V8.
    return new Response(text, { status: init.status, statusText: init.statusText, headers });
  }

  static redirect(url: unknown, status = 302): Response {
    const location = new URL(String(url)).href;
    if (!REDIRECT_STATUS.has(status)) throw new RangeError(`Invalid redirect status ${status}`);
    const internal: Internal = { status, immutable: true };
    return new Response(null, { headers: { location }, [INTERNAL]: internal });
  }

  get [Symbol.toStringTag]() {
    return "Response";
  }
}

/**
 * The Request a handler receives: its URL and headers as the host gave them (checked there already, by Node's HTTP
 * parser or, for a service call, http-headers.ts), its method and body as any Request's.
 */
export function hostRequest(
  url: string,
  method: string,
  headers: readonly (readonly [string, string])[],
  body: unknown,
): Request {
  return new Request({ [HOST_URL]: url }, { method, body, [INTERNAL]: { headers: trustedHeaders(headers) } });
}

/** A Response for what a fetch brought back: any status the network gives, headers immutable. */
export function responseFromNetwork(r: FetchResponse): Response {
  const nullBody = NULL_BODY_STATUS.has(r.status);
  const internal: Internal = {
    status: r.status,
    url: r.url,
    redirected: r.redirected,
    immutable: true,
    body: { source: nullBody ? null : r.body, stream: null, contentType: null },
  };
  return new Response(null, { statusText: r.statusText, headers: r.headers, [INTERNAL]: internal });
}
