// Unit tests of the Lambda side of HTTP: requests as API Gateway HTTP API (payload v2.0) events, and handler
// results as responses by API Gateway's rules.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { apiGatewayEvent, type HttpInput, lambdaResultToHttp } from "../../src/runtime/lambda-http.ts";
import type { HttpResponse } from "../../src/runtime/protocol.ts";

const startedAt = Date.UTC(2020, 2, 12, 19, 3, 58, 123);

function request(init: Partial<HttpInput> = {}): HttpInput {
  return {
    method: "GET",
    path: "/",
    rawQuery: "",
    headers: [],
    body: null,
    sourceIp: "198.51.100.4",
    host: "api.example.test",
    requestId: "req-abc",
    startedAt,
    ...init,
  };
}

type Event = Record<string, unknown> & {
  headers: Record<string, string>;
  requestContext: Record<string, unknown> & { http: Record<string, unknown> };
};

const event = (init: Partial<HttpInput> = {}) => apiGatewayEvent(request(init)) as Event;

function response(value: unknown): HttpResponse {
  const r = lambdaResultToHttp(value);
  assert.equal(typeof r, "object", `expected a response, got ${JSON.stringify(r)}`);
  return r as HttpResponse;
}

function refusal(value: unknown): string {
  const r = lambdaResultToHttp(value);
  assert.equal(typeof r, "string", `expected a refusal, got ${JSON.stringify(r)}`);
  return r as string;
}

describe("apiGatewayEvent", () => {
  it("builds the payload v2.0 shape", () => {
    const e = event({
      method: "POST",
      path: "/orders/7",
      rawQuery: "a=1",
      headers: [["User-Agent", "curl/8"]],
      body: Buffer.from("{}"),
    });
    assert.equal(e.version, "2.0");
    assert.equal(e.routeKey, "$default");
    assert.equal(e.rawPath, "/orders/7");
    assert.equal(e.rawQueryString, "a=1");
    assert.deepEqual(e.requestContext, {
      accountId: "pave",
      apiId: "pave",
      domainName: "api.example.test",
      domainPrefix: "api",
      http: { method: "POST", path: "/orders/7", protocol: "HTTP/1.1", sourceIp: "198.51.100.4", userAgent: "curl/8" },
      requestId: "req-abc",
      routeKey: "$default",
      stage: "$default",
      time: "12/Mar/2020:19:03:58 +0000",
      timeEpoch: startedAt,
    });
  });

  it("survives a JSON round trip unchanged (it crosses into the isolate as JSON)", () => {
    const e = event({ rawQuery: "x=1", headers: [["cookie", "a=1"]], body: Buffer.from([1, 2, 3]) });
    assert.deepEqual(JSON.parse(JSON.stringify(e)), e);
  });

  it("leaves out body, cookies and queryStringParameters when there are none", () => {
    const e = event();
    assert.equal("body" in e, false);
    assert.equal("cookies" in e, false);
    assert.equal("queryStringParameters" in e, false);
    assert.equal(e.rawQueryString, "");
    assert.equal(e.isBase64Encoded, false);
    assert.deepEqual(e.headers, {});
    assert.equal(e.requestContext.http.userAgent, "");
  });

  it("lower-cases header names and joins repeated headers with commas", () => {
    const e = event({
      headers: [
        ["X-Forwarded-For", "1.1.1.1"],
        ["x-forwarded-for", "2.2.2.2"],
        ["Accept", "text/html"],
      ],
    });
    assert.deepEqual(e.headers, { "x-forwarded-for": "1.1.1.1,2.2.2.2", accept: "text/html" });
  });

  it("moves cookies out of the headers into `cookies`", () => {
    const e = event({
      headers: [
        ["Cookie", "a=1; b=2;"],
        ["cookie", "c=3"],
        ["x-other", "y"],
      ],
    });
    assert.deepEqual(e.cookies, ["a=1", "b=2", "c=3"]);
    assert.deepEqual(e.headers, { "x-other": "y" });
  });

  it("decodes the query and joins repeated parameters with commas", () => {
    const e = event({ rawQuery: "q=hello%20world&tag=a&tag=b&plus=a+b&empty=" });
    assert.equal(e.rawQueryString, "q=hello%20world&tag=a&tag=b&plus=a+b&empty=");
    assert.deepEqual(e.queryStringParameters, { q: "hello world", tag: "a,b", plus: "a b", empty: "" });
  });

  it("passes text bodies as text", () => {
    const types = [
      "text/plain",
      "text/html; charset=utf-8",
      "application/json",
      "Application/JSON; charset=UTF-8",
      "application/xml",
      "application/javascript",
      "application/x-www-form-urlencoded",
      "application/vnd.api+json",
      "application/atom+xml",
    ];
    for (const type of types) {
      const e = event({ method: "POST", headers: [["Content-Type", type]], body: Buffer.from("héllo ✓") });
      assert.equal(e.isBase64Encoded, false, type);
      assert.equal(e.body, "héllo ✓", type);
    }
  });

  it("base64-encodes binary bodies and bodies without a content type", () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    for (const headers of [[["content-type", "image/png"]], [["content-type", "application/octet-stream"]], []] as [
      string,
      string,
    ][][]) {
      const e = event({ method: "POST", headers, body: bytes });
      assert.equal(e.isBase64Encoded, true, JSON.stringify(headers));
      assert.equal(e.body, bytes.toString("base64"));
      assert.deepEqual(Buffer.from(e.body as string, "base64"), bytes);
    }
  });

  it("keeps an empty body distinct from no body", () => {
    const e = event({ method: "POST", headers: [["content-type", "text/plain"]], body: Buffer.alloc(0) });
    assert.equal(e.body, "");
    assert.equal(e.isBase64Encoded, false);
  });

  it("uses the whole host as the domain prefix when it has no dot", () => {
    assert.equal(event({ host: "localhost:8700" }).requestContext.domainPrefix, "localhost:8700");
  });

  it("formats requestContext.time as API Gateway does, in UTC", () => {
    assert.equal(event({ startedAt: Date.UTC(2024, 0, 5, 3, 4, 5) }).requestContext.time, "05/Jan/2024:03:04:05 +0000");
    assert.equal(
      event({ startedAt: Date.UTC(1999, 11, 31, 23, 59, 59) }).requestContext.time,
      "31/Dec/1999:23:59:59 +0000",
    );
  });
});

describe("lambdaResultToHttp", () => {
  it("maps statusCode, headers and a text body", () => {
    assert.deepEqual(
      response({ statusCode: 201, headers: { "x-a": "b", "content-type": "text/plain" }, body: "made" }),
      {
        kind: "response",
        status: 201,
        headers: [
          ["x-a", "b"],
          ["content-type", "text/plain"],
        ],
        body: "made",
      },
    );
  });

  it("turns header values into strings", () => {
    const r = response({ statusCode: 200, headers: { "content-length-ish": 5, flag: true } });
    assert.deepEqual(r.headers, [
      ["content-length-ish", "5"],
      ["flag", "true"],
    ]);
  });

  it("maps cookies to Set-Cookie headers, one each", () => {
    const r = response({ statusCode: 200, cookies: ["a=1; Path=/; HttpOnly", "b=2"], body: "" });
    assert.deepEqual(r.headers, [
      ["set-cookie", "a=1; Path=/; HttpOnly"],
      ["set-cookie", "b=2"],
    ]);
  });

  it("decodes a base64 body into bytes", () => {
    const r = response({
      statusCode: 200,
      body: Buffer.from([0, 1, 254, 255]).toString("base64"),
      isBase64Encoded: true,
    });
    assert.ok(r.body instanceof Uint8Array);
    assert.deepEqual([...r.body], [0, 1, 254, 255]);
  });

  it("keeps a body that is not flagged base64 as text", () => {
    assert.equal(response({ statusCode: 200, body: "AAEC", isBase64Encoded: false }).body, "AAEC");
    assert.equal(response({ statusCode: 200, body: "AAEC", isBase64Encoded: "true" }).body, "AAEC");
  });

  it("has no body when the result has none", () => {
    assert.equal(response({ statusCode: 204 }).body, null);
    assert.equal(response({ statusCode: 204, body: null }).body, null);
    assert.deepEqual(response({ statusCode: 204 }).headers, []);
  });

  it("accepts every status from 100 to 599", () => {
    for (const status of [100, 200, 302, 404, 599]) assert.equal(response({ statusCode: status }).status, status);
  });

  it("turns a value without statusCode into a 200 JSON body", () => {
    const json = (value: unknown, body: string) =>
      assert.deepEqual(response(value), {
        kind: "response",
        status: 200,
        headers: [["content-type", "application/json"]],
        body,
      });
    json({ hello: "world" }, '{"hello":"world"}');
    json({ status: 404, body: "not a status" }, '{"status":404,"body":"not a status"}');
    json([1, 2], "[1,2]");
    json(42, "42");
    json(true, "true");
    json(null, "null");
  });

  it("returns a string result as the body itself", () => {
    assert.deepEqual(response("hello"), {
      kind: "response",
      status: 200,
      headers: [["content-type", "application/json"]],
      body: "hello",
    });
  });

  it("refuses a statusCode that is not an integer from 100 to 599", () => {
    for (const statusCode of [42, 99, 600, 200.5, "200", null, undefined, Number.NaN]) {
      assert.match(refusal({ statusCode, body: "" }), /statusCode must be an integer from 100 to 599/);
    }
  });

  it("refuses a body that is not a string", () => {
    assert.match(refusal({ statusCode: 200, body: { a: 1 } }), /body must be a string.*got object/);
    assert.match(refusal({ statusCode: 200, body: [1] }), /got an array/);
    assert.match(refusal({ statusCode: 200, body: 5 }), /got number/);
  });

  it("refuses headers that are not an object", () => {
    assert.match(refusal({ statusCode: 200, headers: null }), /headers must be an object/);
    assert.match(refusal({ statusCode: 200, headers: "x-a: b" }), /headers must be an object/);
  });
});
