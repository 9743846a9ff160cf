// A real pave server on a loopback port, driven over HTTP the way users drive it: deploy, call, invoke, query
// activations and logs, every bad input with its status and code, limits, and a shutdown that loses nothing.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { ApiError, PaveClient } from "../../src/client/index.ts";
import { packageFunction } from "../../src/deploy/index.ts";
import { createLogger } from "../../src/logger.ts";
import { startServer } from "../../src/server.ts";
import {
  deploySource,
  eventually,
  manifestYaml,
  removeFunctionDirs,
  startTestServer,
  type TestServer,
  writeFunction,
} from "./helpers.ts";

after(removeFunctionDirs);

const WEB_ECHO = `
export default {
  async fetch(request: Request) {
    const url = new URL(request.url);
    console.log("echo " + request.method + " " + url.pathname);
    return new Response(
      JSON.stringify({
        method: request.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: Object.fromEntries(request.headers),
        body: await request.text(),
      }),
      { status: 200, headers: { "content-type": "application/json", "x-from": "echo" } },
    );
  },
};
`;

const LAMBDA_ECHO = `
export const handler = async (event: any, context: any) => {
  if (event.requestContext === undefined) return { got: event, fn: context.functionName };
  return {
    statusCode: 201,
    headers: { "content-type": "application/json", "x-style": "lambda" },
    body: JSON.stringify({ event, fn: context.functionName, mem: context.memoryLimitInMB }),
  };
};
`;

const WITH_ZOD = `
import { z } from "zod";
const User = z.object({ name: z.string().min(1), age: z.number().int() });
export default {
  async fetch(request: Request) {
    const parsed = User.safeParse(await request.json());
    return Response.json({ ok: parsed.success }, { status: parsed.success ? 200 : 422 });
  },
};
`;

const LOGGER = `
export default {
  async fetch(request: Request) {
    const tag = new URL(request.url).searchParams.get("tag") ?? "none";
    console.log("info line " + tag);
    console.error("error line " + tag);
    return new Response("logged " + tag);
  },
};
`;

const textOf = (s: string) => `export default { fetch: () => new Response(${JSON.stringify(s)}) };\n`;

interface Raw {
  status: number;
  headers: Headers;
  json: unknown;
  text: string;
}

async function raw(url: string, init: RequestInit = {}): Promise<Raw> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** Asserts an error answer: the HTTP status and `{ error: { code, message } }`; returns the error object. */
function assertError(
  r: Raw,
  status: number,
  code: string,
): { code: string; message: string; details?: Record<string, unknown> } {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${r.text}`);
  const body = r.json as { error?: { code: string; message: string; details?: Record<string, unknown> } };
  assert.ok(body?.error, `no error body in ${r.text}`);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, "string");
  assert.ok(body.error.message.length > 0);
  return body.error;
}

async function assertApiError(p: Promise<unknown>, status: number, code: string): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.status, status);
    return err;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

/** Waits until the activation is committed (writes are batched) and returns it. */
function activation(client: PaveClient, id: string) {
  return eventually(async () => (await client.getActivation(id)).activation);
}

describe("functions over HTTP", () => {
  let t: TestServer;
  let fn: (path: string, init?: RequestInit) => Promise<Raw>;

  before(async () => {
    t = await startTestServer();
    fn = (path, init) => raw(`${t.server.url}/fn/${path}`, init);
    await deploySource(t.client, "echo", WEB_ECHO);
    await deploySource(t.client, "lam", LAMBDA_ECHO);
    await deploySource(t.client, "logger", LOGGER);
  });
  after(() => t.close());

  it("serves a web-standard function its own path, query, method, headers and body", async () => {
    const get = await fn("echo/a/b?x=1&y=two", { headers: { "x-custom": "hi" } });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get("x-from"), "echo");
    assert.deepEqual(get.json, {
      method: "GET",
      path: "/a/b",
      query: { x: "1", y: "two" },
      headers: (get.json as { headers: object }).headers,
      body: "",
    });
    assert.equal((get.json as { headers: Record<string, string> }).headers["x-custom"], "hi");

    const post = await fn("echo/items", {
      method: "POST",
      body: "hello body",
      headers: { "content-type": "text/plain" },
    });
    assert.equal(post.status, 200);
    const seen = post.json as { method: string; path: string; body: string; headers: Record<string, string> };
    assert.equal(seen.method, "POST");
    assert.equal(seen.path, "/items");
    assert.equal(seen.body, "hello body");
    assert.equal(seen.headers["content-type"], "text/plain");

    const root = await fn("echo");
    assert.equal((root.json as { path: string }).path, "/");
  });

  it("gives a Lambda-style function the API Gateway v2 event and sends its result as the response", async () => {
    const r = await fn("lam/orders/7?expand=1", {
      method: "POST",
      body: JSON.stringify({ qty: 2 }),
      headers: { "content-type": "application/json" },
    });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get("x-style"), "lambda");
    type ApiGatewayEvent = {
      version: string;
      routeKey: string;
      rawPath: string;
      rawQueryString: string;
      queryStringParameters: Record<string, string>;
      headers: Record<string, string>;
      requestContext: { http: { method: string; path: string } };
      isBase64Encoded: boolean;
      body: string;
    };
    const { event, fn: name, mem } = r.json as { event: ApiGatewayEvent; fn: string; mem: number | string };
    assert.equal(name, "lam");
    assert.equal(Number(mem), 128);
    assert.equal(event.version, "2.0");
    assert.equal(event.routeKey, "$default");
    assert.equal(event.rawPath, "/orders/7");
    assert.equal(event.rawQueryString, "expand=1");
    assert.deepEqual(event.queryStringParameters, { expand: "1" });
    assert.equal(event.requestContext.http.method, "POST");
    assert.equal(event.requestContext.http.path, "/orders/7");
    assert.equal(event.headers["content-type"], "application/json");
    assert.equal(event.isBase64Encoded, false);
    assert.deepEqual(JSON.parse(event.body), { qty: 2 });
  });

  it("bundles and runs a function that imports an npm package (zod)", async () => {
    await deploySource(t.client, "withzod", WITH_ZOD);
    const ok = await fn("withzod", { method: "POST", body: JSON.stringify({ name: "Ada", age: 36 }) });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json, { ok: true });
    const bad = await fn("withzod", { method: "POST", body: JSON.stringify({ name: "", age: 1.5 }) });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.json, { ok: false });
  });

  it("keeps the version on an identical redeploy and moves live on a changed one", async () => {
    const deployRaw = async (dir: string) => {
      const pkg = await packageFunction(dir);
      return raw(`${t.server.url}/api/v1/functions/versioned/versions`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.server.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ manifest: pkg.raw, bundle: pkg.bundle }),
      });
    };
    const v1dir = await writeFunction({ "pave.yaml": manifestYaml("versioned"), "src/index.ts": textOf("one") });
    const first = await deployRaw(v1dir);
    assert.equal(first.status, 201, first.text);
    const a = first.json as {
      changed: boolean;
      created: boolean;
      version: { id: string; seq: number };
      previous: string | null;
    };
    assert.equal(a.changed, true);
    assert.equal(a.version.seq, 1);
    assert.equal(a.previous, null);
    assert.equal((await fn("versioned")).text, "one");

    const again = await deployRaw(v1dir);
    assert.equal(again.status, 200, again.text);
    const b = again.json as typeof a;
    assert.equal(b.changed, false);
    assert.equal(b.version.id, a.version.id);
    assert.equal(b.version.seq, 1);

    const v2dir = await writeFunction({ "pave.yaml": manifestYaml("versioned"), "src/index.ts": textOf("two") });
    const second = await deployRaw(v2dir);
    assert.equal(second.status, 201, second.text);
    const c = second.json as typeof a;
    assert.equal(c.changed, true);
    assert.notEqual(c.version.id, a.version.id);
    assert.equal(c.version.seq, 2);
    assert.equal(c.previous, a.version.id);
    // The very next request is served by the new version.
    const served = await fn("versioned");
    assert.equal(served.text, "two");
    const act = await activation(t.client, served.headers.get("x-pave-activation-id") ?? "");
    assert.equal(act.version, c.version.id);

    const { versions } = await t.client.listVersions("versioned");
    assert.deepEqual(
      versions.map((v) => [v.seq, v.live]),
      [
        [2, true],
        [1, false],
      ],
    );
  });

  it("invokes directly: a Lambda returns its value, a web function its status, headers and body", async () => {
    const lam = await t.client.invoke("lam", { n: 42 });
    assert.deepEqual(lam.result, { got: { n: 42 }, fn: "lam" });
    assert.ok(lam.activationId);
    assert.ok(lam.version);

    const web = await t.client.invoke("echo", { hello: "world" });
    const r = web.result as { status: number; headers: Record<string, string>; body: string };
    assert.equal(r.status, 200);
    assert.equal(r.headers["x-from"], "echo");
    const seen = JSON.parse(r.body) as { method: string; body: string };
    assert.equal(seen.method, "POST");
    assert.deepEqual(JSON.parse(seen.body), { hello: "world" });

    const act = await activation(t.client, web.activationId);
    assert.equal(act.trigger, "invoke");
    assert.equal(act.status, "success");
  });

  it("frames responses itself: its own length, repeated headers kept, hop-by-hop dropped, none on a 204", async () => {
    await deploySource(
      t.client,
      "framing",
      `export default { fetch(request) {
        const url = new URL(request.url);
        if (url.pathname === "/empty") return new Response(null, { status: 204, headers: { "x-kind": "empty" } });
        const headers = new Headers({ "content-length": "999", connection: "close", "x-kind": "bytes" });
        headers.append("set-cookie", "a=1");
        headers.append("set-cookie", "b=2");
        return new Response(new Uint8Array([0, 1, 2, 255, 254]), { status: 201, headers });
      } };\n`,
    );
    const bytes = await fetch(`${t.server.url}/fn/framing/bytes`);
    assert.equal(bytes.status, 201);
    assert.equal(bytes.headers.get("content-length"), "5");
    assert.equal(bytes.headers.get("connection"), "keep-alive");
    assert.deepEqual(bytes.headers.getSetCookie(), ["a=1", "b=2"]);
    assert.deepEqual([...new Uint8Array(await bytes.arrayBuffer())], [0, 1, 2, 255, 254]);
    assert.ok(bytes.headers.get("x-pave-activation-id"));
    const head = await fetch(`${t.server.url}/fn/framing/bytes`, { method: "HEAD" });
    assert.equal(head.status, 201);
    assert.equal(head.headers.get("content-length"), "5");
    assert.equal(await head.text(), "");
    const empty = await fetch(`${t.server.url}/fn/framing/empty`);
    assert.equal(empty.status, 204);
    assert.equal(empty.headers.get("content-length"), null);
    assert.equal(empty.headers.get("x-kind"), "empty");
    assert.match(empty.headers.get("traceparent") ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it("tags responses with the activation id and correlation id, and records the W3C trace id", async () => {
    const plain = await fn("echo");
    const plainId = plain.headers.get("x-pave-activation-id") ?? "";
    assert.match(plainId, /^[0-9a-f-]{36}$/);
    // Without the caller's ids, the activation id names the correlation and makes the trace id.
    assert.equal(plain.headers.get("x-correlation-id"), plainId);
    const plainAct = await activation(t.client, plainId);
    assert.equal(plainAct.correlationId, plainId);
    assert.equal(plainAct.traceId, plainId.replaceAll("-", ""));

    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const r = await fn("echo/traced", {
      headers: { "x-correlation-id": "order-123", traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("x-correlation-id"), "order-123");
    const id = r.headers.get("x-pave-activation-id");
    assert.ok(id);
    const act = await activation(t.client, id);
    assert.equal(act.traceId, traceId);
    assert.equal(act.correlationId, "order-123");

    // The control API's direct invoke honours the same headers.
    const invoked = await raw(`${t.server.url}/api/v1/functions/lam/invocations`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${t.server.adminToken}`,
        "content-type": "application/json",
        "x-correlation-id": "invoke-456",
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      },
      body: "{}",
    });
    assert.equal(invoked.status, 200, invoked.text);
    assert.equal(invoked.headers.get("x-correlation-id"), "invoke-456");
    const invokedId = invoked.headers.get("x-pave-activation-id");
    assert.equal(invokedId, (invoked.json as { activationId: string }).activationId);
    const invokedAct = await activation(t.client, invokedId ?? "");
    assert.equal(invokedAct.traceId, traceId);
    assert.equal(invokedAct.correlationId, "invoke-456");
    assert.equal(invokedAct.trigger, "invoke");
  });

  it("lists activations newest first with their facts, pages with next, and shows one with its logs", async () => {
    await deploySource(t.client, "counted", WEB_ECHO);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await fn(`counted/${i}`)).headers.get("x-pave-activation-id") ?? "");
    ids.push((await t.client.invoke("counted", { i: 3 })).activationId);

    const listed = await eventually(async () => {
      const { activations } = await t.client.listActivations({ function: "counted" });
      assert.equal(activations.length, 4);
      return activations;
    });
    assert.deepEqual(
      listed.map((a) => a.id),
      [...ids].reverse(),
    );
    for (const a of listed) {
      assert.equal(a.function, "counted");
      assert.equal(a.env, "prod");
      assert.equal(a.status, "success");
      assert.equal(a.errorCode, null);
      assert.ok(a.billedMs >= 1);
      assert.ok(a.billedMs >= a.durationMs);
      assert.equal(a.memoryMb, 128);
      assert.equal(typeof a.cold, "boolean");
    }
    assert.deepEqual(
      listed.map((a) => a.trigger),
      ["invoke", "http", "http", "http"],
    );
    assert.equal(listed.at(-1)?.httpStatus, 200);

    const page1 = await t.client.listActivations({ function: "counted", limit: 3 });
    assert.deepEqual(
      page1.activations.map((a) => a.id),
      listed.slice(0, 3).map((a) => a.id),
    );
    assert.equal(page1.next, listed[2]?.id);
    const page2 = await t.client.listActivations({ function: "counted", limit: 3, before: page1.next ?? "" });
    assert.deepEqual(
      page2.activations.map((a) => a.id),
      [listed[3]?.id],
    );
    assert.equal(page2.next, null);

    const { activation: detail } = await t.client.getActivation(ids[1] ?? "");
    assert.equal(detail.id, ids[1]);
    assert.deepEqual(
      detail.logs.map((l) => [l.level, l.message]),
      [["info", "echo GET /1"]],
    );
    await assertApiError(t.client.getActivation("no-such-activation"), 404, "ActivationNotFound");
  });

  it("queries logs by level and text, and follows new lines as they are written", async () => {
    await fn("logger?tag=alpha");
    await fn("logger?tag=beta");
    const errors = await eventually(async () => {
      const { logs } = await t.client.logs({ function: "logger", level: "error" });
      assert.equal(logs.length, 2);
      return logs;
    });
    assert.deepEqual(
      errors.map((l) => l.message),
      ["error line alpha", "error line beta"],
    );
    assert.ok(errors.every((l) => l.level === "error" && l.function === "logger"));

    const grep = await t.client.logs({ function: "logger", grep: "beta" });
    assert.deepEqual(grep.logs.map((l) => l.message).sort(), ["error line beta", "info line beta"]);

    const seen: string[] = [];
    const abort = new AbortController();
    const following = t.client.followLogs({ function: "logger" }, (line) => seen.push(line.message), abort.signal);
    // Old lines arrive first: the stream is up.
    await eventually(() => assert.ok(seen.includes("info line alpha")));
    const tag = `late${Date.now()}`;
    await fn(`logger?tag=${tag}`);
    await eventually(() => assert.ok(seen.includes(`error line ${tag}`), JSON.stringify(seen)), 5000);
    abort.abort();
    await following;
  });
});

describe("bad input and misbehaving functions", () => {
  let t: TestServer;
  let fn: (path: string, init?: RequestInit) => Promise<Raw>;
  const api = (path: string, init: RequestInit = {}) =>
    raw(`${t.server.url}/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${t.server.adminToken}`, ...(init.headers as Record<string, string>) },
    });

  before(async () => {
    t = await startTestServer();
    fn = (path, init) => raw(`${t.server.url}/fn/${path}`, init);
    await Promise.all([
      deploySource(t.client, "ok", textOf("fine")),
      deploySource(t.client, "thrower", `export default { fetch() { throw new Error("kaboom"); } };\n`),
      deploySource(t.client, "notresp", `export default { fetch: () => "a string, not a Response" };\n`),
      deploySource(t.client, "spin", `export default { fetch() { for (;;) {} } };\n`),
      deploySource(
        t.client,
        "hog",
        `export default {
  fetch(request: Request) {
    if (!request.url.includes("boom")) return new Response("still here");
    const keep: number[][] = [];
    for (;;) keep.push(new Array(100000).fill(keep.length));
  },
};\n`,
        { memory: 32, timeout: "10s" },
      ),
    ]);
  });
  after(() => t.close());

  it("answers 404 FunctionNotFound for an unknown function", async () => {
    assertError(await fn("nope/x"), 404, "FunctionNotFound");
    await assertApiError(t.client.invoke("nope", {}), 404, "FunctionNotFound");
  });

  it("answers 400 BadRequest for a function name that is not valid percent-encoding", async () => {
    assertError(await fn("%E0%A4%A/x"), 400, "BadRequest");
  });

  it("answers 500 FunctionError when the handler throws, and records it", async () => {
    const r = await fn("thrower");
    const error = assertError(r, 500, "FunctionError");
    assert.match(error.message, /kaboom/);
    const id = error.details?.activationId;
    assert.equal(typeof id, "string");
    assert.equal(r.headers.get("x-pave-activation-id"), id);
    const act = await activation(t.client, id as string);
    assert.equal(act.status, "error");
    assert.equal(act.errorCode, "FunctionError");
    assert.equal(act.httpStatus, 500);
    // And the next call still works.
    assertError(await fn("thrower"), 500, "FunctionError");
  });

  it("answers 502 InvalidResponse when the handler returns something that is not a Response", async () => {
    const error = assertError(await fn("notresp"), 502, "InvalidResponse");
    const act = await activation(t.client, error.details?.activationId as string);
    assert.equal(act.errorCode, "InvalidResponse");
    assert.equal(act.status, "error");
  });

  it("answers 504 Timeout for an endless loop while the server keeps serving others", async () => {
    const started = Date.now();
    const order: string[] = [];
    const looping = fn("spin").then((r) => {
      order.push("spin");
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    const others = await Promise.all([
      ...Array.from({ length: 5 }, () => fn("ok")),
      raw(`${t.server.url}/healthz`),
      t.client.listFunctions(),
    ]).then((rs) => {
      order.push("others");
      return rs;
    });
    for (const r of others.slice(0, 6) as Raw[]) assert.equal(r.status, 200);
    assert.equal(order[0], "others", "the other requests finished only after the loop");
    const spin = await looping;
    const error = assertError(spin, 504, "Timeout");
    assert.ok(Date.now() - started >= 450, "the loop was stopped before its timeout");
    const act = await activation(t.client, error.details?.activationId as string);
    assert.equal(act.errorCode, "Timeout");
    assert.equal(act.httpStatus, 504);
    // The instance was discarded: the next call starts a fresh one (cold) and times out again rather than hanging.
    const again = assertError(await fn("spin"), 504, "Timeout");
    assert.equal((await activation(t.client, again.details?.activationId as string)).cold, true);
    // A direct invoke times out the same way.
    const invoked = await assertApiError(t.client.invoke("spin", {}), 504, "Timeout");
    const invokedAct = await activation(t.client, invoked.details?.activationId as string);
    assert.equal(invokedAct.errorCode, "Timeout");
    assert.equal(invokedAct.trigger, "invoke");
  });

  it("answers 502 OutOfMemory for an allocation bomb, and the function serves again after", async () => {
    const error = assertError(await fn("hog?boom"), 502, "OutOfMemory");
    const act = await activation(t.client, error.details?.activationId as string);
    assert.equal(act.errorCode, "OutOfMemory");
    assert.equal(act.memoryMb, 32);
    const again = await fn("hog");
    assert.equal(again.status, 200);
    assert.equal(again.text, "still here");
  });

  it("records an activation for every failure a function caused", async () => {
    const { activations } = await eventually(async () => {
      const page = await t.client.listActivations({ status: "error", limit: 100 });
      const codes = new Set(page.activations.map((a) => a.errorCode));
      for (const code of ["FunctionError", "InvalidResponse", "Timeout", "OutOfMemory"])
        assert.ok(codes.has(code), code);
      return page;
    });
    assert.ok(activations.every((a) => a.status === "error"));
  });

  it("answers 401 Unauthorized without a token or with a wrong one", async () => {
    assertError(await raw(`${t.server.url}/api/v1/functions`), 401, "Unauthorized");
    assertError(
      await raw(`${t.server.url}/api/v1/functions`, { headers: { authorization: "Bearer pave_wrong" } }),
      401,
      "Unauthorized",
    );
    const wrong = new PaveClient({ url: t.server.url, token: "pave_not-a-real-token" });
    await assertApiError(wrong.listFunctions(), 401, "Unauthorized");
    await assertApiError(new PaveClient({ url: t.server.url }).invoke("ok", {}), 401, "Unauthorized");
  });

  it("answers 400 BadRequest for a malformed JSON body", async () => {
    const r = await api("/functions/ok/versions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"manifest": {"name": "ok"',
    });
    assertError(r, 400, "BadRequest");
    const missing = await api("/functions/ok/versions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ manifest: { name: "ok" } }),
    });
    assertError(missing, 400, "BadRequest");
  });

  it("answers 400 InvalidManifest with the issues", async () => {
    const err = await assertApiError(
      t.client.deployBundle({ name: "badman", memory: "abc", colour: "blue" }, textOf("x")),
      400,
      "InvalidManifest",
    );
    const issues = err.details?.issues as { key: string; message: string }[];
    assert.ok(Array.isArray(issues));
    const keys = issues.map((i) => i.key).sort();
    assert.deepEqual(keys, ["colour", "memory"]);
  });

  it("refuses bundles that do not compile, export no handler, or throw while loading", async () => {
    const manifest = { name: "broken", timeout: "500ms" };
    await assertApiError(t.client.deployBundle(manifest, "this is not js {"), 400, "BuildError");
    await assertApiError(t.client.deployBundle(manifest, "var __pave_module = { nothing: 1 };"), 400, "InvalidHandler");
    const thrown = await assertApiError(
      t.client.deployBundle(manifest, 'throw new Error("dies at top level");'),
      400,
      "BuildError",
    );
    assert.match(thrown.message, /dies at top level/);
    // None of them created the function.
    await assertApiError(t.client.getFunction("broken"), 404, "FunctionNotFound");
  });

  it("settles two concurrent deploys of one function: both succeed, live is one of them, and it serves", async () => {
    const [a, b] = await Promise.all([
      deploySource(t.client, "racer", textOf("from a")),
      deploySource(t.client, "racer", textOf("from b")),
    ]);
    assert.notEqual(a.version.id, b.version.id);
    const { versions } = await t.client.listVersions("racer");
    assert.deepEqual(versions.map((v) => v.id).sort(), [a.version.id, b.version.id].sort());
    assert.deepEqual(versions.map((v) => v.seq).sort(), [1, 2]);
    const live = versions.filter((v) => v.live);
    assert.equal(live.length, 1);
    const { function: info } = await t.client.getFunction("racer");
    assert.equal(info.version, live[0]?.id);
    const r = await fn("racer");
    assert.equal(r.status, 200);
    assert.equal(r.text, live[0]?.id === a.version.id ? "from a" : "from b");
  });

  it("answers 404 RouteNotFound for an unknown API path", async () => {
    assertError(await api("/no/such/thing"), 404, "RouteNotFound");
    assertError(await raw(`${t.server.url}/nowhere`), 404, "RouteNotFound");
  });

  it("serves /healthz, /readyz and the OpenAPI document without auth", async () => {
    const health = await raw(`${t.server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal((health.json as { status: string }).status, "ok");
    const ready = await raw(`${t.server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal((ready.json as { status: string }).status, "ready");
    const doc = await raw(`${t.server.url}/api/v1/openapi.json`);
    assert.equal(doc.status, 200);
    const paths = (doc.json as { paths?: Record<string, unknown> }).paths;
    assert.ok(paths && Object.keys(paths).length > 0, "the document has paths");
    assert.ok(Object.keys(paths).some((p) => p.includes("/activations")));
  });
});

describe("request body limit", () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ maxBodyBytes: 1024, maxApiBodyBytes: 16 * 1024 });
    await deploySource(
      t.client,
      "sink",
      `export default { fetch: async (r: Request) => new Response(String((await r.text()).length)) };\n`,
    );
  });
  after(() => t.close());

  it("accepts a body within the limit", async () => {
    const r = await raw(`${t.server.url}/fn/sink`, { method: "POST", body: "x".repeat(1024) });
    assert.equal(r.status, 200);
    assert.equal(r.text, "1024");
  });

  it("answers 413 PayloadTooLarge for a declared Content-Length over the limit", async () => {
    const r = await raw(`${t.server.url}/fn/sink`, { method: "POST", body: "x".repeat(2048) });
    assertError(r, 413, "PayloadTooLarge");
  });

  it("answers 413 PayloadTooLarge for a chunked body that grows over the limit", async () => {
    const r = await new Promise<Raw>((resolve, reject) => {
      const req = httpRequest(`${t.server.url}/fn/sink`, { method: "POST" }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: new Headers(res.headers as Record<string, string>),
            json: JSON.parse(text),
            text,
          }),
        );
      });
      req.on("error", reject);
      assert.equal(req.getHeader("content-length"), undefined);
      for (let i = 0; i < 8; i++) req.write("y".repeat(512));
      req.end();
    });
    assertError(r, 413, "PayloadTooLarge");
    // The server still serves after refusing.
    assert.equal((await raw(`${t.server.url}/fn/sink`, { method: "POST", body: "ok" })).text, "2");
  });

  it("answers 413 PayloadTooLarge for a control-API body over its own limit", async () => {
    const big = `export default { fetch: () => new Response(${JSON.stringify("z".repeat(20_000))}) };`;
    await assertApiError(t.client.deployBundle({ name: "big" }, big), 413, "PayloadTooLarge");
  });
});

describe("clean shutdown", () => {
  it("loses no activation: 200 requests, an immediate close, and all 200 are there after a restart", async () => {
    const t = await startTestServer();
    const dataDir = t.server.dataDir;
    try {
      // Each invocation outlives its response (waitUntil work), so close() lands while all of them still run.
      await deploySource(
        t.client,
        "burst",
        `export default {
  fetch(request: Request, env: unknown, ctx: { waitUntil(p: Promise<unknown>): void }) {
    ctx.waitUntil(new Promise((r) => setTimeout(r, 150)));
    return new Response("ok");
  },
};\n`,
        { concurrency: 1000, memory: 16, timeout: "10s" },
      );
      const responses = await Promise.all(Array.from({ length: 200 }, () => fetch(`${t.server.url}/fn/burst`)));
      const closed = t.server.close();
      const texts = await Promise.all(responses.map((r) => r.text()));
      await closed;
      assert.deepEqual(
        responses.map((r) => r.status).filter((s) => s !== 200),
        [],
      );
      assert.ok(texts.every((x) => x === "ok"));

      const reopened = await startServer({ host: "127.0.0.1", port: 0, dataDir, logger: createLogger("silent") });
      try {
        const client = new PaveClient({ url: reopened.url, token: reopened.adminToken });
        const { activations, next } = await client.listActivations({ function: "burst", limit: 1000 });
        assert.equal(activations.length, 200);
        assert.equal(next, null);
        assert.ok(activations.every((a) => a.status === "success" && a.httpStatus === 200));
      } finally {
        await reopened.close();
      }
    } finally {
      await t.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
