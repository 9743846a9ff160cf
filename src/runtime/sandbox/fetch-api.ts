// Request and Response as the Fetch standard shapes them, over the Body in body.ts.
import { Body, type BodyInit, toRawBody } from "./body.ts";
import { Headers, type HeadersInit } from "./headers.ts";

declare const URL: new (url: string, base?: string) => { href: string };

export interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit;
}

const FORBIDDEN_BODY = new Set(["GET", "HEAD"]);

/**
 * Marks a URL the host already parsed and serialised (Node's WHATWG parser), so building the incoming Request
 * skips a second parse — a blocking round trip to the host on every invocation. Module-private: function code
 * cannot reach the symbol, so it cannot smuggle an unparsed URL in.
 */
export const HOST_URL: unique symbol = Symbol("pave.hostUrl");

export class Request extends Body {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;

  constructor(input: string | Request | { href: string } | { [HOST_URL]: string }, init: RequestInit = {}) {
    const source = input instanceof Request ? input : undefined;
    const fromHost = typeof input === "object" && HOST_URL in input ? input[HOST_URL] : undefined;
    const method = (init.method ?? source?.method ?? "GET").toUpperCase();
    let raw = source ? source.peekRaw() : null;
    const headers = new Headers(init.headers ?? source?.headers);
    if (init.body !== undefined && init.body !== null) {
      if (FORBIDDEN_BODY.has(method)) throw new TypeError("Request with GET/HEAD method cannot have body.");
      const converted = toRawBody(init.body);
      raw = converted.raw;
      if (converted.contentType && !headers.has("content-type")) headers.set("content-type", converted.contentType);
    }
    super(raw);
    this.method = method;
    this.url = source
      ? source.url
      : (fromHost ?? new URL(typeof input === "string" ? input : (input as { href: string }).href).href);
    this.headers = headers;
  }

  clone(): Request {
    if (this.bodyUsed) throw new TypeError("Cannot clone a Request whose body has been used.");
    return new Request(this);
  }

  get [Symbol.toStringTag]() {
    return "Request";
  }
}

export interface ResponseInit {
  status?: number;
  statusText?: string;
  headers?: HeadersInit;
}

export class Response extends Body {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly type: string = "default";
  readonly url: string = "";
  readonly redirected = false;

  constructor(body: BodyInit = null, init: ResponseInit = {}) {
    const status = init.status ?? 200;
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`Response status must be an integer from 200 to 599, got ${status}`);
    }
    const { raw, contentType } = toRawBody(body);
    if (raw !== null && (status === 204 || status === 205 || status === 304)) {
      throw new TypeError(`Response with null body status ${status} cannot have body`);
    }
    super(raw);
    this.status = status;
    this.statusText = init.statusText ?? "";
    this.headers = new Headers(init.headers);
    if (contentType && !this.headers.has("content-type")) this.headers.set("content-type", contentType);
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  clone(): Response {
    if (this.bodyUsed) throw new TypeError("Cannot clone a Response whose body has been used.");
    return new Response(this.peekRaw(), { status: this.status, statusText: this.statusText, headers: this.headers });
  }

  static json(data: unknown, init: ResponseInit = {}): Response {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError("Value is not JSON serializable");
    const headers = new Headers(init.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    return new Response(text, { ...init, headers });
  }

  static redirect(url: string, status = 302): Response {
    if (![301, 302, 303, 307, 308].includes(status)) throw new RangeError(`Invalid redirect status ${status}`);
    return new Response(null, { status, headers: { location: new URL(url).href } });
  }

  get [Symbol.toStringTag]() {
    return "Response";
  }
}
