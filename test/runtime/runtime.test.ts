// The runtime end to end: real function sources, bundled by esbuild, run in real isolates through `Runtime`.
// Covers both handler styles, errors as values, limits (timeout, memory), warm reuse, logs and hostile code.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bundleEntry } from "../../src/deploy/bundle.ts";
import { PaveError } from "../../src/errors.ts";
import {
  type HttpInput,
  type HttpResponse,
  Runtime,
  type RuntimeCall,
  type RuntimeInput,
  type RuntimeReport,
  type RuntimeResult,
  type VersionCode,
} from "../../src/runtime/index.ts";
import type { InvocationMeta } from "../../src/runtime/protocol.ts";

const dir = mkdtempSync(join(tmpdir(), "pave-runtime-"));
let seq = 0;

/** Writes `source` as a new function's entry, bundles it and returns a version of it. */
async function deploy(source: string, options: Partial<Omit<VersionCode, "bundle">> = {}): Promise<VersionCode> {
  const name = `fn${++seq}`;
  writeFileSync(join(dir, `${name}.ts`), source);
  const bundle = await bundleEntry(dir, `${name}.ts`);
  return { env: "test", function: name, id: "v1", memoryMb: 64, timeoutMs: 300, concurrency: 4, bundle, ...options };
}

function metaFor(v: VersionCode, id: string = randomUUID()): InvocationMeta {
  return {
    id,
    functionName: v.function,
    functionVersion: v.id,
    memoryMb: v.memoryMb,
    deadline: Date.now() + v.timeoutMs,
  };
}

function httpInput(init: Partial<HttpInput> & { url?: string } = {}): RuntimeInput {
  const { url, ...rest } = init;
  const http: HttpInput = {
    method: "GET",
    path: "/",
    rawQuery: "",
    headers: [],
    body: null,
    sourceIp: "10.1.2.3",
    host: "api.example.test",
    requestId: "req-1",
    startedAt: Date.now(),
    ...rest,
  };
  const query = http.rawQuery ? `?${http.rawQuery}` : "";
  return { kind: "http", http, url: url ?? `http://${http.host}${http.path}${query}` };
}

const direct = (payload: unknown): RuntimeInput => ({ kind: "direct", payload });

/** Invokes and waits for both the result and the report. */
async function run(
  rt: Runtime,
  v: VersionCode,
  input: RuntimeInput = httpInput(),
  meta: InvocationMeta = metaFor(v),
): Promise<{ result: RuntimeResult; report: RuntimeReport }> {
  const call = await rt.invoke(v, input, meta);
  return { result: await call.result, report: await call.report };
}

function asResponse(result: RuntimeResult): HttpResponse {
  assert.equal(result.kind, "response", `expected a response, got ${JSON.stringify(result)}`);
  return result as HttpResponse;
}

function bodyText(response: HttpResponse): string {
  const { body } = response;
  if (body === null) return "";
  return typeof body === "string" ? body : Buffer.from(body).toString("utf8");
}

function bodyJson(result: RuntimeResult): unknown {
  return JSON.parse(bodyText(asResponse(result)));
}

function header(response: HttpResponse, name: string): string | undefined {
  return response.headers.find(([k]) => k.toLowerCase() === name)?.[1];
}

function assertError(result: RuntimeResult, code: string): void {
  assert.equal(result.kind, "error", `expected ${code}, got ${JSON.stringify(result)}`);
  assert.equal((result as { code: string }).code, code, JSON.stringify(result));
}

let rt: Runtime;
before(async () => {
  rt = await Runtime.start();
});
after(() => {
  rt.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("web-standard handler", () => {
  it("receives method, url, headers and body, and returns status, headers and body", async () => {
    const v = await deploy(`
      export default {
        async fetch(request, env, ctx) {
          return new Response(JSON.stringify({
            method: request.method,
            url: request.url,
            custom: request.headers.get("X-Custom"),
            type: request.headers.get("content-type"),
            body: await request.text(),
            env: typeof env,
            waitUntil: typeof ctx.waitUntil,
          }), { status: 201, headers: { "x-reply": "yes", "content-type": "application/json" } });
        },
      };
    `);
    const { result, report } = await run(
      rt,
      v,
      httpInput({
        method: "PUT",
        path: "/items/7",
        rawQuery: "a=1&b=two",
        headers: [
          ["x-custom", "hello"],
          ["content-type", "text/plain"],
        ],
        body: Buffer.from("payload ✓"),
      }),
    );
    const response = asResponse(result);
    assert.equal(response.status, 201);
    assert.equal(header(response, "x-reply"), "yes");
    assert.equal(header(response, "content-type"), "application/json");
    assert.deepEqual(JSON.parse(bodyText(response)), {
      method: "PUT",
      url: "http://api.example.test/items/7?a=1&b=two",
      custom: "hello",
      type: "text/plain",
      body: "payload ✓",
      env: "object",
      waitUntil: "function",
    });
    assert.equal(report.style, "web");
    assert.equal(report.cold, true);
  });

  it("sees the request's headers as Headers: names in any case, repeats combined, set-cookie apart, sorted", async () => {
    const v = await deploy(`
      export default {
        fetch(request) {
          const h = request.headers;
          return Response.json({
            dup: h.get("X-Dup"),
            cookies: h.getSetCookie(),
            names: [...h.keys()],
            isHeaders: h instanceof Headers,
          });
        },
      };
    `);
    const headers: [string, string][] = [
      ["X-Dup", "1"],
      ["Set-Cookie", "a=1"],
      ["x-dup", "2"],
      ["Accept", "*/*"],
      ["set-cookie", "b=2"],
    ];
    assert.deepEqual(bodyJson((await run(rt, v, httpInput({ headers }))).result), {
      dup: "1, 2",
      cookies: ["a=1", "b=2"],
      names: ["accept", "set-cookie", "set-cookie", "x-dup"],
      isHeaders: true,
    });
  });

  it("sends a response whose headers function code replaced with a plain list of pairs", async () => {
    const v = await deploy(`
      export default {
        fetch() {
          const r = new Response("ok");
          Object.defineProperty(r, "headers", { value: [["x-plain", "1"]] });
          return r;
        },
      };
    `);
    const response = asResponse((await run(rt, v)).result);
    assert.equal(header(response, "x-plain"), "1");
  });

  it("keeps several Set-Cookie headers apart", async () => {
    const v = await deploy(`
      export default {
        fetch() {
          const headers = new Headers();
          headers.append("set-cookie", "a=1; Path=/");
          headers.append("set-cookie", "b=2");
          headers.append("x-multi", "1");
          headers.append("x-multi", "2");
          return new Response(null, { status: 204, headers });
        },
      };
    `);
    const response = asResponse((await run(rt, v)).result);
    assert.equal(response.status, 204);
    assert.equal(response.body, null);
    assert.deepEqual(response.headers, [
      ["set-cookie", "a=1; Path=/"],
      ["set-cookie", "b=2"],
      ["x-multi", "1, 2"],
    ]);
  });

  it("supports Response.json", async () => {
    const v = await deploy(`export default { fetch: () => Response.json({ ok: true, n: [1, 2] }, { status: 202 }) };`);
    const response = asResponse((await run(rt, v)).result);
    assert.equal(response.status, 202);
    assert.equal(header(response, "content-type"), "application/json");
    assert.deepEqual(JSON.parse(bodyText(response)), { ok: true, n: [1, 2] });
  });

  it("round-trips a binary body byte for byte", async () => {
    const v = await deploy(`
      export default {
        async fetch(request) {
          const bytes = new Uint8Array(await request.arrayBuffer());
          const out = new Uint8Array(bytes.length + 1);
          out.set(bytes);
          out[bytes.length] = 0xff;
          return new Response(out, { headers: { "content-type": "application/octet-stream" } });
        },
      };
    `);
    const sent = Buffer.from([0, 1, 2, 0x80, 0xfe, 0xff, 0x00, 0x7f]);
    const response = asResponse(
      (
        await run(
          rt,
          v,
          httpInput({ method: "POST", headers: [["content-type", "application/octet-stream"]], body: sent }),
        )
      ).result,
    );
    assert.ok(response.body instanceof Uint8Array, "a binary body comes back as bytes");
    assert.deepEqual([...response.body], [...sent, 0xff]);
  });

  it("hands the isolate only the request's own bytes, not the rest of Node's buffer pool", async () => {
    // Small Buffers share one pooled ArrayBuffer; copying the view must not copy its neighbours into the isolate,
    // and what function code reads is a buffer of the body alone.
    const v = await deploy(`
      export default {
        async fetch(request) {
          const buffer = await request.arrayBuffer();
          const all = new TextDecoder().decode(new Uint8Array(buffer));
          return Response.json({ byteLength: buffer.byteLength, all });
        },
      };
    `);
    const neighbour = Buffer.from("someone else's secret");
    const body = Buffer.from("hi");
    assert.equal(body.buffer, neighbour.buffer, "precondition: both Buffers live in the same pool");
    const { result } = await run(rt, v, httpInput({ method: "POST", body }));
    assert.deepEqual(bodyJson(result), { byteLength: 2, all: "hi" });
  });

  it("runs ctx.waitUntil work after the result is delivered and records its logs", async () => {
    const v = await deploy(`
      export default {
        fetch(request, env, ctx) {
          ctx.waitUntil(new Promise((resolve) => setTimeout(() => { console.log("late work done"); resolve(); }, 80)));
          return new Response("early");
        },
      };
    `);
    const call = await rt.invoke(v, httpInput(), metaFor(v));
    let reported = false;
    void call.report.then(() => {
      reported = true;
    });
    const result = await call.result;
    assert.equal(bodyText(asResponse(result)), "early");
    assert.equal(reported, false, "the result is delivered before the waitUntil work finishes");
    const report = await call.report;
    assert.ok(report.logs.some((l) => l.level === "info" && l.message === "late work done"));
    assert.equal(report.lateFailure, undefined);
  });

  it("reports waitUntil work that outlives the timeout as a late Timeout, after a good result", async () => {
    const v = await deploy(`
      export default {
        fetch(request, env, ctx) {
          ctx.waitUntil(new Promise(() => {}));
          return new Response("ok");
        },
      };
    `);
    const { result, report } = await run(rt, v);
    assert.equal(bodyText(asResponse(result)), "ok");
    assert.equal(report.lateFailure?.code, "Timeout");
    assert.equal((await run(rt, v)).report.cold, true, "the timed-out instance was discarded");
  });

  it("turns a direct invoke into a POST of the JSON payload", async () => {
    const v = await deploy(`
      export default {
        async fetch(request) {
          return Response.json({ method: request.method, got: await request.json() });
        },
      };
    `);
    const { result } = await run(rt, v, direct({ a: 1 }));
    assert.deepEqual(bodyJson(result), { method: "POST", got: { a: 1 } });
  });
});

describe("Lambda-style handler", () => {
  let echo: VersionCode;
  before(async () => {
    echo = await deploy(
      `export const handler = async (event, context) => ({
         statusCode: 200,
         body: JSON.stringify({
           event,
           context: {
             awsRequestId: context.awsRequestId,
             functionName: context.functionName,
             functionVersion: context.functionVersion,
             memoryLimitInMB: context.memoryLimitInMB,
             remaining: context.getRemainingTimeInMillis(),
           },
         }),
       });`,
      { memoryMb: 48 },
    );
  });

  it("receives an API Gateway HTTP API v2 event", async () => {
    const { result, report } = await run(
      rt,
      echo,
      httpInput({
        method: "POST",
        path: "/orders/9",
        rawQuery: "x=1&x=2&y=%20z",
        headers: [
          ["Content-Type", "application/json"],
          ["X-Trace", "abc"],
          ["Cookie", "a=1; b=2"],
          ["User-Agent", "tester/1"],
        ],
        body: Buffer.from('{"n":1}'),
        sourceIp: "192.0.2.7",
      }),
    );
    const { event } = bodyJson(result) as { event: Record<string, unknown> };
    assert.equal(report.style, "lambda");
    assert.equal(event.version, "2.0");
    assert.equal(event.rawPath, "/orders/9");
    assert.equal(event.rawQueryString, "x=1&x=2&y=%20z");
    assert.deepEqual(event.queryStringParameters, { x: "1,2", y: " z" });
    assert.deepEqual(event.headers, { "content-type": "application/json", "x-trace": "abc", "user-agent": "tester/1" });
    assert.deepEqual(event.cookies, ["a=1", "b=2"]);
    assert.equal(event.body, '{"n":1}');
    assert.equal(event.isBase64Encoded, false);
    const http = (event.requestContext as { http: Record<string, unknown> }).http;
    assert.equal(http.method, "POST");
    assert.equal(http.path, "/orders/9");
    assert.equal(http.sourceIp, "192.0.2.7");
    assert.equal(http.userAgent, "tester/1");
  });

  it("base64-encodes a binary body and sets isBase64Encoded", async () => {
    const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00]);
    const { result } = await run(
      rt,
      echo,
      httpInput({ method: "POST", headers: [["content-type", "image/png"]], body: bytes }),
    );
    const { event } = bodyJson(result) as { event: Record<string, unknown> };
    assert.equal(event.isBase64Encoded, true);
    assert.equal(event.body, bytes.toString("base64"));
  });

  it("passes a context with the AWS fields", async () => {
    const meta = metaFor(echo, "activation-42");
    const { result } = await run(rt, echo, httpInput(), meta);
    const { context } = bodyJson(result) as { context: Record<string, unknown> };
    assert.equal(context.awsRequestId, "activation-42");
    assert.equal(context.functionName, echo.function);
    assert.equal(context.functionVersion, "v1");
    assert.equal(context.memoryLimitInMB, "48", "AWS passes the memory size as a string");
    const remaining = context.remaining as number;
    assert.ok(remaining > 0 && remaining <= echo.timeoutMs, `remaining ${remaining}`);
  });

  it("getRemainingTimeInMillis decreases as the invocation runs", async () => {
    const v = await deploy(`
      export const handler = async (event, context) => {
        const first = context.getRemainingTimeInMillis();
        await new Promise((r) => setTimeout(r, 40));
        return { first, second: context.getRemainingTimeInMillis() };
      };
    `);
    const { result } = await run(rt, v, direct(null));
    const { first, second } = (result as { value: { first: number; second: number } }).value;
    assert.ok(first <= v.timeoutMs, `first ${first}`);
    assert.ok(second < first && first - second >= 30, `first ${first}, second ${second}`);
  });

  it("maps statusCode, headers, cookies and a base64 body to the response", async () => {
    const v = await deploy(`
      export const handler = async () => ({
        statusCode: 418,
        headers: { "x-tea": "earl grey", "content-type": "application/octet-stream" },
        cookies: ["s=1; Path=/", "t=2"],
        body: "AAEC/w==",
        isBase64Encoded: true,
      });
    `);
    const response = asResponse((await run(rt, v)).result);
    assert.equal(response.status, 418);
    assert.equal(header(response, "x-tea"), "earl grey");
    assert.deepEqual(
      response.headers.filter(([k]) => k === "set-cookie").map(([, c]) => c),
      ["s=1; Path=/", "t=2"],
    );
    assert.ok(response.body instanceof Uint8Array);
    assert.deepEqual([...response.body], [0, 1, 2, 255]);
  });

  it("turns a plain object into a 200 JSON response and a string into a 200", async () => {
    const obj = await deploy(`export const handler = async () => ({ hello: "world" });`);
    const objResponse = asResponse((await run(rt, obj)).result);
    assert.equal(objResponse.status, 200);
    assert.equal(header(objResponse, "content-type"), "application/json");
    assert.deepEqual(JSON.parse(bodyText(objResponse)), { hello: "world" });

    const str = await deploy(`export const handler = async () => "just text";`);
    const strResponse = asResponse((await run(rt, str)).result);
    assert.equal(strResponse.status, 200);
    assert.equal(bodyText(strResponse), "just text");
  });

  it("supports callback-style handlers", async () => {
    const v = await deploy(`
      export const handler = (event, context, callback) => {
        setTimeout(() => callback(null, { statusCode: 200, body: "called back " + event.rawPath }), 5);
      };
    `);
    const response = asResponse((await run(rt, v, httpInput({ path: "/cb" }))).result);
    assert.equal(bodyText(response), "called back /cb");

    const failing = await deploy(
      `export const handler = (event, context, callback) => callback(new Error("cb failed"));`,
    );
    const { result } = await run(rt, failing);
    assertError(result, "FunctionError");
    assert.match((result as { message: string }).message, /cb failed/);
  });

  it("returns a direct invoke's value as is", async () => {
    const v = await deploy(`export const handler = async (event) => ({ doubled: event.n * 2, list: [event.n] });`);
    const { result } = await run(rt, v, direct({ n: 21 }));
    assert.deepEqual(result, { kind: "value", value: { doubled: 42, list: [21] } });
    const nullPayload = await run(rt, v, direct(undefined));
    assertError(nullPayload.result, "FunctionError");
  });
});

describe("errors are values", () => {
  it("a throwing handler gives FunctionError and its stack in the logs at level error", async () => {
    const v = await deploy(`
      function deepInside() { throw new Error("kaboom"); }
      export default { fetch() { deepInside(); } };
    `);
    const { result, report } = await run(rt, v);
    assertError(result, "FunctionError");
    assert.match((result as { message: string }).message, /kaboom/);
    const line = report.logs.find((l) => l.level === "error");
    assert.ok(line, "the stack is logged");
    assert.match(line.message, /Error: kaboom/);
    assert.match(line.message, /deepInside/);
  });

  it("a throwing Lambda handler gives FunctionError too", async () => {
    const v = await deploy(`export const handler = async () => { throw new TypeError("bad input"); };`);
    const { result, report } = await run(rt, v, direct({}));
    assertError(result, "FunctionError");
    assert.ok(report.logs.some((l) => l.level === "error" && /TypeError: bad input/.test(l.message)));
  });

  it("a web handler that returns a non-Response gives InvalidResponse", async () => {
    for (const returned of [`({ status: 200 })`, `"text"`, `undefined`]) {
      const v = await deploy(`export default { fetch: async () => ${returned} };`);
      assertError((await run(rt, v)).result, "InvalidResponse");
    }
  });

  it("invalid Lambda results give InvalidResponse", async () => {
    const cases = [
      `undefined`,
      `({ statusCode: 42, body: "x" })`,
      `({ statusCode: 200, body: { not: "a string" } })`,
      `({ statusCode: 200, body: 10n })`,
      `10n`,
    ];
    for (const returned of cases) {
      const v = await deploy(`export const handler = async () => ${returned};`);
      const { result } = await run(rt, v);
      assertError(result, "InvalidResponse");
    }
  });

  it("a module without a handler is refused with InvalidHandler", async () => {
    const v = await deploy(`export const notAHandler = 1; export default { notFetch() {} };`);
    await assert.rejects(rt.prepare(v), (err: unknown) => {
      assert.ok(err instanceof PaveError);
      assert.equal(err.code, "InvalidHandler");
      assert.match(err.message, /notAHandler/);
      return true;
    });
    assertError((await run(rt, v)).result, "InvalidHandler");
  });

  it("prepare() resolves the handler style of a good version", async () => {
    const web = await deploy(`export default { fetch: () => new Response("") };`);
    const lambda = await deploy(`export const handler = async () => 1;`);
    assert.equal(await rt.prepare(web), "web");
    assert.equal(await rt.prepare(lambda), "lambda");
    assert.equal((await run(rt, web)).report.cold, false, "the prepared instance stays warm");
  });

  it("a bundle that throws at top level gives FunctionError", async () => {
    const v = await deploy(`
      throw new Error("broken at load");
      export default { fetch: () => new Response("never") };
    `);
    const { result, report } = await run(rt, v);
    assertError(result, "FunctionError");
    assert.match((result as { message: string }).message, /broken at load/);
    assert.equal(report.cold, true);
    await assert.rejects(rt.prepare(v), (err: unknown) => err instanceof PaveError && err.code === "FunctionError");
  });

  it("a load failure frees its concurrency slot", async () => {
    const v = await deploy(`throw new Error("broken"); export default { fetch: () => new Response("") };`, {
      concurrency: 1,
    });
    for (let i = 0; i < 3; i++) assertError((await run(rt, v)).result, "FunctionError");
    assert.equal(rt.stats().invocations, 0);
  });

  it("a result whose fields function code overwrote gives InvalidResponse, not a bad HTTP response", async () => {
    // Response's fields are prototype getters (WebIDL), so tampering means shadowing them with own properties.
    const set = (field: string, value: string) => `Object.defineProperty(r, "${field}", { value: ${value} });`;
    const cases = [
      `const r = new Response("x"); ${set("status", "99")} return r;`,
      `const r = new Response("x"); ${set("status", '"200"')} return r;`,
      // Not even copyable out of the isolate.
      `const r = new Response("x"); ${set("status", "() => 200")} return r;`,
      `const r = new Response("x"); ${set("headers", '[["x-a", "one\\r\\nInjected: 1"]]')} return r;`,
      `const r = new Response("x"); ${set("headers", '[["bad name", "v"]]')} return r;`,
      `const r = new Response("x"); ${set("headers", '"nope"')} return r;`,
      // Headers refuses values beyond Latin-1 (a WebIDL ByteString); the host checks again what it is about to send.
      `const r = new Response("x"); ${set("headers", '[["x-tick", "\\u2713"]]')} return r;`,
      // A body already read cannot be sent.
      `const r = new Response("x"); await r.text(); return r;`,
    ];
    for (const body of cases) {
      const v = await deploy(`export default { async fetch() { ${body} } };`);
      assertError((await run(rt, v)).result, "InvalidResponse");
    }
    const lambda = await deploy(
      `export const handler = async () => ({ statusCode: 200, headers: { "x-a": "a\\r\\nInjected: 1" }, body: "" });`,
    );
    assertError((await run(rt, lambda)).result, "InvalidResponse");
  });

  it("a Lambda handler that sabotages JSON.stringify still gets an answer", async () => {
    const v = await deploy(
      `export const handler = async () => { JSON.stringify = () => "not json"; return { a: 1 }; };`,
    );
    const call = await rt.invoke(v, direct(null), metaFor(v));
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<RuntimeResult>((resolve) => {
      timer = setTimeout(() => resolve({ kind: "error", code: "FunctionError", message: "no result (hang)" }), 2000);
    });
    const result = await Promise.race([call.result, hang]);
    clearTimeout(timer);
    assertError(result, "InvalidResponse");
    await call.report;
  });

  it("a bundle that does not compile gives BuildError", async () => {
    const v = await deploy(`export default { fetch: () => new Response("x") };`);
    const { result } = await run(rt, { ...v, function: `${v.function}-broken`, bundle: "this is not javascript(" });
    assertError(result, "BuildError");
  });
});

describe("limits", () => {
  it("a spinning handler times out while other functions keep being served", async () => {
    const spinner = await deploy(`export default { fetch() { for (;;) {} } };`);
    const quick = await deploy(`export default { fetch: () => new Response("quick") };`);
    await run(rt, quick); // warm, so the comparison is about serving, not about cold starts

    const started = Date.now();
    const spinning = rt.invoke(spinner, httpInput(), metaFor(spinner)).then(async (call) => {
      const result = await call.result;
      return { result, at: Date.now(), report: await call.report };
    });
    const others = (async () => {
      const finished: number[] = [];
      for (let i = 0; i < 5; i++) {
        const { result } = await run(rt, quick);
        assert.equal(bodyText(asResponse(result)), "quick");
        finished.push(Date.now());
      }
      return finished;
    })();
    const [spun, finished] = await Promise.all([spinning, others]);
    assertError(spun.result, "Timeout");
    const elapsed = spun.at - started;
    assert.ok(elapsed >= spinner.timeoutMs - 20 && elapsed < spinner.timeoutMs + 700, `timed out after ${elapsed} ms`);
    for (const at of finished) assert.ok(at < spun.at, "the other function was served while the spinner spun");
    assert.equal((await run(rt, spinner)).report.cold, true, "the timed-out instance was discarded");
  });

  it("a handler that throws something that is not an Error gives FunctionError naming the value", async () => {
    for (const [thrown, expected] of [
      ['"plain string"', "Uncaught plain string"],
      ["{ code: 42 }", "Uncaught [object Object]"],
      ["null", "Uncaught null"],
      ["undefined", "Uncaught undefined"],
    ] as const) {
      const v = await deploy(`export default { async fetch() { throw ${thrown}; } };`);
      const { result } = await run(rt, v);
      assertError(result, "FunctionError");
      assert.equal((result as { message: string }).message, expected);
    }
  });

  it("cancels the timers an invocation leaves pending, so they never run in a later one", async () => {
    const v = await deploy(`
      let fired = 0;
      export default {
        async fetch(request, env, ctx) {
          const op = new URL(request.url).pathname;
          if (op === "/leak") {
            setTimeout(() => { fired++; console.log("leaked timer fired"); }, 20);
            setInterval(() => { fired++; }, 5);
          }
          if (op === "/kept") ctx.waitUntil(new Promise((r) => setTimeout(() => { console.log("kept alive"); r(); }, 20)));
          return new Response(String(fired));
        },
      };`);
    const leak = await run(rt, v, httpInput({ path: "/leak" }));
    assert.equal(asResponse(leak.result).body, "0");
    await new Promise((r) => setTimeout(r, 80));
    const later = await run(rt, v, httpInput({ path: "/later" }));
    assert.equal(later.report.cold, false, "the same instance");
    assert.equal(asResponse(later.result).body, "0", "no timer of the ended invocation ran");
    assert.deepEqual(later.report.logs, []);
    // Work kept alive with waitUntil still runs its timers to the end.
    const kept = await run(rt, v, httpInput({ path: "/kept" }));
    assert.deepEqual(
      kept.report.logs.map((l) => l.message),
      ["kept alive"],
    );
  });

  it("a handler that holds the CPU past the inline budget still completes, rerun off the event loop", async () => {
    const v = await deploy(`
      let runs = 0;
      export default {
        fetch() {
          runs++;
          const until = Date.now() + 120;
          while (Date.now() < until) {}
          return new Response("done after " + runs + " run(s) of this instance");
        },
      };`);
    const inlineRt = await Runtime.start({ inline: "always" });
    try {
      const { result, report } = await run(inlineRt, v);
      // The inline attempt was stopped at 50 ms and its isolate discarded; a fresh instance ran it to the end.
      assert.equal(bodyText(asResponse(result)), "done after 1 run(s) of this instance");
      assert.equal(report.cold, true);
      assert.equal(inlineRt.stats().coldStarts, 2, "one instance for the cut-short attempt, one for the rerun");
      // The version now runs threaded: a second call is not cut short (one more instance at most, none here).
      assert.match(bodyText(asResponse((await run(inlineRt, v)).result)), /^done after/);
      assert.equal(inlineRt.stats().coldStarts, 2);
    } finally {
      inlineRt.close();
    }
  });

  it("a handler that never resolves times out", async () => {
    const v = await deploy(`export const handler = async () => { await new Promise(() => {}); };`);
    const started = Date.now();
    const { result, report } = await run(rt, v);
    const elapsed = Date.now() - started;
    assertError(result, "Timeout");
    assert.ok(elapsed >= v.timeoutMs - 20 && elapsed < v.timeoutMs + 700, `timed out after ${elapsed} ms`);
    assert.equal(report.lateFailure, undefined, "the timeout is the result, not a late failure");
    assert.equal((await run(rt, v)).report.cold, true);
  });

  it("top-level code that allocates without end runs out of memory while loading", async () => {
    const v = await deploy(
      `const a = []; for (;;) a.push(new Array(1e6).fill(1)); export const handler = async () => 1;`,
      {
        memoryMb: 32,
        timeoutMs: 5000,
      },
    );
    assertError((await run(rt, v)).result, "OutOfMemory");
  });

  it("top-level code that spins times out while loading", async () => {
    const v = await deploy(`for (;;) {} export default { fetch: () => new Response("") };`);
    assertError((await run(rt, v)).result, "Timeout");
  });

  it("an export getter that spins is stopped while loading, without holding the event loop", async () => {
    const v = await deploy(`export default { get fetch() { for (;;) {} } };`, { timeoutMs: 5000 });
    const started = Date.now();
    assertError((await run(rt, v)).result, "Timeout");
    assert.ok(Date.now() - started < 2000, "stopped at the setup budget, not the function's 5 s timeout");
  });

  it("an allocation bomb gives OutOfMemory and the next invocation gets a fresh instance", async () => {
    const v = await deploy(
      `
      let bomb = false;
      export default {
        async fetch(request) {
          if (bomb || (await request.text()) === "bomb") {
            bomb = true;
            const a = [];
            for (;;) a.push(new Array(1e6).fill(1));
          }
          return new Response("fine");
        },
      };
    `,
      { memoryMb: 32, timeoutMs: 5000 },
    );
    const first = await run(rt, v);
    assert.equal(bodyText(asResponse(first.result)), "fine");
    const { result } = await run(rt, v, httpInput({ method: "POST", body: Buffer.from("bomb") }));
    assertError(result, "OutOfMemory");
    const next = await run(rt, v);
    assert.equal(bodyText(asResponse(next.result)), "fine", "module state did not survive: a new instance");
    assert.equal(next.report.cold, true);
  });
});

describe("an isolate that goes while invocations wait behind the one running", () => {
  // One busy instance at most, so the four calls queue on it: the first blows its heap or spins; the three behind it
  // never started, and run again on a fresh instance. None of them may wait for its own timeout to learn the isolate
  // is gone (the host hears of it from the watch: see Instance.#isolateLost).
  let one: Runtime;
  before(async () => {
    one = await Runtime.start({ softInstanceLimit: 1 });
  });
  after(() => one.close());

  const source = `export default {
    async fetch(request) {
      const what = await request.text();
      if (what === "bomb") { const a = []; for (;;) a.push(new Array(1e6).fill(1)); }
      if (what === "spin") for (;;) {}
      return new Response("fine");
    },
  };`;

  for (const [what, code, timeoutMs] of [
    ["bomb", "OutOfMemory", 10_000],
    ["spin", "Timeout", 400],
  ] as const) {
    it(`${what}: it fails as ${code}, those behind it succeed on a fresh instance`, async () => {
      const v = await deploy(source, { memoryMb: 32, timeoutMs, concurrency: 8 });
      assert.equal(bodyText(asResponse((await run(one, v)).result)), "fine", "warm, threaded");
      const started = Date.now();
      const body = (text: string) => httpInput({ method: "POST", body: Buffer.from(text) });
      const runs = await Promise.all([run(one, v, body(what)), ...[1, 2, 3].map(() => run(one, v, body("ok")))]);
      assertError((runs[0] as { result: RuntimeResult }).result, code);
      for (const r of runs.slice(1)) assert.equal(bodyText(asResponse(r.result)), "fine");
      // A heap blown is known at once, not at the 10 s timeout; a spin at its timeout.
      const bound = what === "bomb" ? 2000 : timeoutMs + 1000;
      assert.ok(Date.now() - started < bound, `over in ${Date.now() - started} ms`);
      const next = await run(one, v);
      assert.equal(bodyText(asResponse(next.result)), "fine");
    });
  }
});

describe("lines of threaded invocations", () => {
  const source = `export default {
    async fetch(request) {
      const what = await request.text();
      console.log("before", { what });
      if (what === "bomb") { const a = []; for (;;) a.push(new Array(1e6).fill(1)); }
      if (what === "spin") for (;;) {}
      if (what === "many") for (let i = 0; i < 400; i++) console.warn(\`line \${i} é€😀\`, { i });
      return new Response("fine");
    },
  };`;
  const body = (text: string) => httpInput({ method: "POST", body: Buffer.from(text) });

  for (const [what, code] of [
    ["bomb", "OutOfMemory"],
    ["spin", "Timeout"],
  ] as const) {
    it(`keeps what a warm invocation logged before ${code}`, async () => {
      const v = await deploy(source, { memoryMb: 32, timeoutMs: 400 });
      await run(rt, v);
      const { result, report } = await run(rt, v, body(what));
      assertError(result, code);
      assert.equal(report.cold, false, "warm: threaded, not inline");
      assert.deepEqual(
        report.logs.map((l) => [l.message, l.fields]),
        [["before", { what }]],
      );
    });
  }

  it("keeps many lines whole and in order", async () => {
    const v = await deploy(source);
    await run(rt, v);
    const { report } = await run(rt, v, body("many"));
    assert.equal(report.cold, false);
    assert.equal(report.logs.length, 401);
    assert.deepEqual(report.logs[0]?.fields, { what: "many" });
    report.logs.slice(1).forEach((l, i) => {
      assert.equal(l.message, `line ${i} é€😀`);
      assert.equal(l.level, "warn");
      assert.deepEqual(l.fields, { i });
    });
  });
});

describe("instances", () => {
  it("reuses a warm instance and counts cold starts", async () => {
    const v = await deploy(`
      let calls = 0;
      export default { fetch: () => Response.json({ calls: ++calls }) };
    `);
    const before = rt.stats().coldStarts;
    const first = await run(rt, v);
    const second = await run(rt, v);
    assert.equal(first.report.cold, true);
    assert.equal(second.report.cold, false);
    assert.deepEqual(bodyJson(second.result), { calls: 2 });
    assert.equal(rt.stats().coldStarts, before + 1);
  });

  it("keeps an instance whose invocations leave garbage for the collector warm", async () => {
    // The host learns that an isolate went away from a call that never returns (see Instance.#isolateLost): if a
    // collection could end that call, every instance doing real work would be thrown away as out of memory.
    const v = await deploy(
      `export default { fetch() { let a = []; for (let i = 0; i < 200; i++) a.push(new Array(1e4).fill(i)); a = null; return new Response("ok"); } };`,
      { memoryMb: 32 },
    );
    const runs = [];
    for (let i = 0; i < 20; i++) runs.push(await run(rt, v));
    for (const r of runs) assert.equal(bodyText(asResponse(r.result)), "ok");
    assert.deepEqual(
      runs.map((r) => r.report.cold),
      [true, ...Array(19).fill(false)],
    );
  });

  it("throttles invocations over the concurrency limit", async () => {
    const v = await deploy(
      `export default { fetch: () => new Promise((r) => setTimeout(() => r(new Response("slow")), 60)) };`,
      { concurrency: 1 },
    );
    const first = await rt.invoke(v, httpInput(), metaFor(v));
    await assert.rejects(rt.invoke(v, httpInput(), metaFor(v)), (err: unknown) => {
      assert.ok(err instanceof PaveError);
      assert.equal(err.code, "Throttled");
      return true;
    });
    assert.equal(bodyText(asResponse(await first.result)), "slow");
    await first.report;
    assert.equal(bodyText(asResponse((await run(rt, v)).result)), "slow", "the slot is free again");
  });

  it("throttles while ctx.waitUntil work keeps the instance busy", async () => {
    const v = await deploy(
      `export default { fetch(r, env, ctx) { ctx.waitUntil(new Promise((res) => setTimeout(res, 60))); return new Response(""); } };`,
      { concurrency: 1 },
    );
    const first: RuntimeCall = await rt.invoke(v, httpInput(), metaFor(v));
    await first.result;
    await assert.rejects(rt.invoke(v, httpInput(), metaFor(v)), { code: "Throttled" });
    await first.report;
  });
});

describe("console", () => {
  it("captures lines with their level and formatted text", async () => {
    const v = await deploy(`
      export default {
        fetch() {
          console.log("msg", { k: 1 });
          console.info("info", 2, null, undefined, [1, "a"]);
          console.warn("careful");
          console.error("bad", new Error("boom"));
          console.debug("details", 10n);
          return new Response("");
        },
      };
    `);
    const { report } = await run(rt, v);
    const lines = report.logs.map((l) => [l.level, l.message.split("\n")[0], l.fields]);
    assert.deepEqual(lines, [
      ["info", "msg", { k: 1 }],
      ["info", 'info 2 null undefined [1,"a"]', null],
      ["warn", "careful", null],
      ["error", "bad Error: boom", { "error.type": "Error", "error.message": "boom" }],
      ["debug", "details 10n", null],
    ]);
    assert.equal(report.logsDropped, 0);
    for (const l of report.logs) assert.equal(typeof l.ts, "number");
  });

  it("keeps a last plain-object argument as structured fields, by the documented rule", async () => {
    const v = await deploy(`
      class Point { constructor() { this.x = 1; } }
      export default {
        fetch() {
          console.log("paid", { orderId: 7, amount: 12.5, nested: { a: [1, 2] }, big: 2n, skip: undefined });
          console.log({ alone: true });
          console.log("array", [1, 2]);
          console.log("instance", new Point());
          console.log("two", "words", { n: 1 });
          console.error("failed", new TypeError("bad input"), { step: "charge" });
          console.log("huge", { blob: "y".repeat(5000) });
          console.log("nothing", Object.create(null));
          return new Response("");
        },
      };
    `);
    const { report } = await run(rt, v);
    const lines = report.logs.map((l) => [l.message.split("\n")[0], l.fields]);
    assert.deepEqual(lines.slice(0, 5), [
      ["paid", { orderId: 7, amount: 12.5, nested: { a: [1, 2] }, big: "2n" }],
      ['{"alone":true}', null],
      ["array [1,2]", null],
      ['instance {"x":1}', null],
      ["two words", { n: 1 }],
    ]);
    assert.deepEqual(lines[5]?.[1], { "error.type": "TypeError", "error.message": "bad input", step: "charge" });
    assert.match(report.logs[5]?.message ?? "", /^failed TypeError: bad input\n\s+at /);
    // Fields too big for a line stay in the message, formatted and bounded as before.
    assert.equal(lines[6]?.[1], null);
    assert.match(report.logs[6]?.message ?? "", /^huge \{"blob":"yyy/);
    assert.deepEqual(lines[7], ["nothing", {}]);
  });

  it("keeps lines well-formed: lone surrogates become U+FFFD, in the message and the fields", async () => {
    const v = await deploy(
      `export default { fetch() {
        console.log("lone \\ud800 surrogate", { s: "\\udc00x", ["\\ud800"]: 1 });
        console.log("x".repeat(8191) + "\\ud83d\\ude00");
        return new Response("");
      } };`,
    );
    const { report } = await run(rt, v);
    assert.equal(report.logs[0]?.message, "lone \ufffd surrogate");
    assert.deepEqual(report.logs[0]?.fields, { s: "\ufffdx", "\ufffd": 1 });
    // Truncation may split a surrogate pair; the host repairs what was cut.
    assert.doesNotMatch(report.logs[1]?.message ?? "", /[\ud800-\udfff]/u, "a truncated line is well-formed");
  });

  it("drops and counts lines beyond the limit", async () => {
    const limited = await Runtime.start({ logLimits: { maxLines: 5, maxBytes: 1e6 } });
    try {
      const v = await deploy(`
        export default { fetch() { for (let i = 0; i < 12; i++) console.log("line " + i); return new Response(""); } };
      `);
      const { report } = await run(limited, v);
      assert.deepEqual(
        report.logs.map((l) => l.message),
        ["line 0", "line 1", "line 2", "line 3", "line 4"],
      );
      assert.equal(report.logsDropped, 7);
      const again = await run(limited, v);
      assert.equal(again.report.logs.length, 5, "the limit is per invocation");
    } finally {
      limited.close();
    }
  });

  it("drops lines beyond the byte limit", async () => {
    const limited = await Runtime.start({ logLimits: { maxLines: 100, maxBytes: 25 } });
    try {
      const v = await deploy(`
        export default { fetch() { for (let i = 0; i < 5; i++) console.log("0123456789"); return new Response(""); } };
      `);
      const { report } = await run(limited, v);
      assert.equal(report.logs.length, 2);
      assert.equal(report.logsDropped, 3);
    } finally {
      limited.close();
    }
  });

  it("counts the byte limit in bytes, not characters", async () => {
    const limited = await Runtime.start({ logLimits: { maxLines: 100, maxBytes: 25 } });
    try {
      // Ten two-byte characters: 20 bytes a line, so only one line fits in 25 bytes.
      const v = await deploy(
        `export default { fetch() { console.log("éééééééééé"); console.log("éééééééééé"); return new Response(""); } };`,
      );
      const { report } = await run(limited, v);
      assert.equal(report.logs.length, 1);
      assert.equal(report.logsDropped, 1);
    } finally {
      limited.close();
    }
  });

  it("truncates a very long line", async () => {
    const v = await deploy(`export default { fetch() { console.log("x".repeat(20000)); return new Response(""); } };`);
    const [line] = (await run(rt, v)).report.logs;
    assert.ok(line && line.message.length < 8300, `line of ${line?.message.length}`);
    assert.match(line.message, /truncated 11808 chars/);
  });

  it("puts top-level logs in the first (cold) invocation's report only", async () => {
    const v = await deploy(`
      console.log("init line");
      export default { fetch() { console.log("handler line"); return new Response(""); } };
    `);
    const first = await run(rt, v);
    assert.deepEqual(
      first.report.logs.map((l) => l.message),
      ["init line", "handler line"],
    );
    const second = await run(rt, v);
    assert.deepEqual(
      second.report.logs.map((l) => l.message),
      ["handler line"],
    );
  });
});

describe("hostile code", () => {
  it("sees no Node API and cannot reach the host", async () => {
    const v = await deploy(`
      async function attempt(fn) {
        try { return { ok: true, value: await fn() }; } catch (err) { return { ok: false, error: String(err) }; }
      }
      export default {
        async fetch() {
          const g = globalThis;
          // Held in an array so that esbuild leaves the import() calls to run inside the isolate.
          const specs = ["node:fs", "./x.js"];
          const report = {
            // Not Node's: a frozen object holding only \`env\` (secrets, for Lambda-style code).
            process: Object.getOwnPropertyNames(process),
            processFrozen: Object.isFrozen(process),
            processPowers: ["binding", "exit", "versions", "mainModule", "dlopen", "kill"].filter((k) => k in process),
            // Evaluated by the isolate itself: esbuild rewrites a literal typeof require to its own shim.
            require: Function("return typeof require")(),
            module: Function("return typeof module")(),
            global: typeof global,
            Buffer: typeof Buffer,
            callRequire: await attempt(() => typeof require(specs[0])),
            globalProps: ["process", "require", "module", "global", "Buffer", "setImmediate"].filter((k) => k in g),
            importFs: await attempt(() => import(specs[0]).then(() => "imported")),
            importPlain: await attempt(() => import(specs[1]).then(() => "imported")),
            ctorProcess: await attempt(() => Object.keys(this.constructor.constructor("return process")())),
            ctorProcessViaConsole: await attempt(() => Object.keys(console.log.constructor("return process")())),
            fnGlobal: await attempt(() => {
              const fg = Function("return globalThis")();
              return { same: fg === globalThis, process: fg.process === process, require: typeof fg.require };
            }),
            setup: typeof g.__pave_setup,
            module_: typeof g.__pave_module,
          };
          return Response.json(report);
        },
      };
    `);
    const { result } = await run(rt, v);
    const seen = bodyJson(result) as Record<string, unknown>;
    assert.deepEqual(seen.process, ["env"]);
    assert.equal(seen.processFrozen, true);
    assert.deepEqual(seen.processPowers, []);
    assert.equal(seen.require, "undefined");
    assert.equal(seen.module, "undefined");
    assert.equal(seen.global, "undefined");
    assert.equal(seen.Buffer, "undefined");
    assert.deepEqual(seen.globalProps, ["process"]);
    assert.equal((seen.callRequire as { ok: boolean }).ok, false, JSON.stringify(seen.callRequire));
    assert.equal((seen.importFs as { ok: boolean }).ok, false, JSON.stringify(seen.importFs));
    assert.equal((seen.importPlain as { ok: boolean }).ok, false, JSON.stringify(seen.importPlain));
    // Constructor chains lead to this isolate's own globals, never the host's.
    assert.deepEqual(seen.ctorProcess, { ok: true, value: ["env"] });
    assert.deepEqual(seen.ctorProcessViaConsole, { ok: true, value: ["env"] });
    assert.deepEqual(seen.fnGlobal, { ok: true, value: { same: true, process: true, require: "undefined" } });
    assert.equal(seen.setup, "undefined");
    assert.equal(seen.module_, "undefined");
  });

  it("keeps prototype pollution inside the function that did it", async () => {
    const polluter = await deploy(`
      export default {
        fetch() {
          const before = ({}).polluted;
          Object.prototype.polluted = 1;
          Array.prototype.map = () => "hijacked";
          JSON.stringify = () => "hijacked";
          return new Response(String(before));
        },
      };
    `);
    const victim = await deploy(`
      export const handler = async () => ({ polluted: ({}).polluted ?? null, map: [1, 2].map((x) => x * 2) });
    `);
    assert.equal(bodyText(asResponse((await run(rt, polluter)).result)), "undefined");
    assert.equal(bodyText(asResponse((await run(rt, polluter)).result)), "1", "state persists in the warm instance");
    assert.deepEqual((await run(rt, victim, direct(null))).result, {
      kind: "value",
      value: { polluted: null, map: [2, 4] },
    });
    assert.equal(({} as Record<string, unknown>).polluted, undefined, "the host is untouched");
  });

  it("cannot forge a result by calling the runtime's bridges", async () => {
    const v = await deploy(`
      export default {
        fetch() {
          const names = Object.getOwnPropertyNames(globalThis).filter((k) => k.startsWith("__pave") || k.startsWith("_ivm"));
          const live = names.filter((k) => globalThis[k] !== undefined);
          return Response.json({ live });
        },
      };
    `);
    assert.deepEqual(bodyJson((await run(rt, v)).result), { live: [] });
  });
});

describe("close", () => {
  it("disposes instances that finish after close()", async () => {
    const local = await Runtime.start();
    const v = await deploy(
      `export default { fetch(r, env, ctx) { ctx.waitUntil(new Promise((res) => setTimeout(res, 50))); return new Response(""); } };`,
    );
    const call = await local.invoke(v, httpInput(), metaFor(v));
    await call.result;
    local.close();
    await call.report;
    assert.equal(local.stats().idle, 0, "no instance is kept warm by a closed runtime");
  });
});
