// The Lambda side of HTTP: requests become API Gateway HTTP API (payload v2.0) events, and handler results
// become responses by API Gateway's own rules, so Lambda code written for API Gateway runs unmodified.
import type { HttpResponse } from "./protocol.ts";

export interface HttpInput {
  method: string;
  /** Path as the function sees it, without query. */
  path: string;
  rawQuery: string;
  headers: [string, string][];
  body: Buffer | null;
  sourceIp: string;
  host: string;
  requestId: string;
  startedAt: number;
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

export function apiGatewayEvent(req: HttpInput): object {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [k, v] of req.headers) {
    const name = k.toLowerCase();
    if (name === "cookie") cookies.push(...v.split(/;\s*/).filter(Boolean));
    else headers[name] = headers[name] === undefined ? v : `${headers[name]},${v}`;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(req.rawQuery)) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const contentType = headers["content-type"] ?? "";
  const isBase64Encoded = req.body !== null && !TEXT_TYPES.test(contentType);
  const event: Record<string, unknown> = {
    version: "2.0",
    routeKey: "$default",
    rawPath: req.path,
    rawQueryString: req.rawQuery,
    headers,
    requestContext: {
      accountId: "pave",
      apiId: "pave",
      domainName: req.host,
      domainPrefix: req.host.split(".")[0] ?? req.host,
      http: {
        method: req.method,
        path: req.path,
        protocol: "HTTP/1.1",
        sourceIp: req.sourceIp,
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: req.requestId,
      routeKey: "$default",
      stage: "$default",
      time: requestTime(req.startedAt),
      timeEpoch: req.startedAt,
    },
    isBase64Encoded,
  };
  if (cookies.length > 0) event.cookies = cookies;
  if (req.rawQuery) event.queryStringParameters = query;
  if (req.body !== null) event.body = isBase64Encoded ? req.body.toString("base64") : req.body.toString("utf8");
  return event;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** API Gateway's `requestContext.time` format, e.g. `12/Mar/2020:19:03:58 +0000` (CLF, always UTC). */
function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, "0");
  const date = `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}`;
  return `${date}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** API Gateway's rules for payload v2.0: an object with `statusCode` is a response; anything else is a 200 JSON body. */
export function lambdaResultToHttp(value: unknown): HttpResponse | string {
  if (value === null || typeof value !== "object" || !("statusCode" in value)) {
    if (typeof value === "string")
      return { kind: "response", status: 200, headers: [["content-type", "application/json"]], body: value };
    return {
      kind: "response",
      status: 200,
      headers: [["content-type", "application/json"]],
      body: JSON.stringify(value),
    };
  }
  const r = value as {
    statusCode: unknown;
    headers?: unknown;
    multiValueHeaders?: unknown;
    body?: unknown;
    isBase64Encoded?: unknown;
    cookies?: unknown;
  };
  if (typeof r.statusCode !== "number" || !Number.isInteger(r.statusCode) || r.statusCode < 100 || r.statusCode > 599) {
    return `statusCode must be an integer from 100 to 599, got ${JSON.stringify(r.statusCode)}`;
  }
  if (r.body !== undefined && r.body !== null && typeof r.body !== "string") {
    return `body must be a string (use JSON.stringify), got ${Array.isArray(r.body) ? "an array" : typeof r.body}`;
  }
  const headers: [string, string][] = [];
  if (r.headers !== undefined) {
    if (r.headers === null || typeof r.headers !== "object") return "headers must be an object of strings";
    for (const [k, v] of Object.entries(r.headers)) headers.push([k, String(v)]);
  }
  if (Array.isArray(r.cookies)) for (const c of r.cookies) headers.push(["set-cookie", String(c)]);
  const body =
    typeof r.body === "string" ? (r.isBase64Encoded === true ? Buffer.from(r.body, "base64") : r.body) : null;
  return { kind: "response", status: r.statusCode, headers, body: body === null ? null : body };
}
