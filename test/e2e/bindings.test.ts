// Bindings end to end on a real server: what a function's `env` can reach, and that it reaches nothing else.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { PaveClient } from "../../src/client/index.ts";
import { deploySource, eventually, removeFunctionDirs, startTestServer, type TestServer } from "./helpers.ts";

function activation(client: PaveClient, id: string) {
  return eventually(async () => (await client.getActivation(id)).activation);
}

/** A `bindings:` block for manifestYaml, indented under the key. */
function bindings(yaml: string): string {
  return `\n${yaml
    .trim()
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n")}`;
}

describe("service bindings", () => {
  let t: TestServer;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${t.server.url}/fn/${path}`, { headers });

  before(async () => {
    t = await startTestServer();
    await deploySource(
      t.client,
      "inventory",
      `export default {
        async fetch(request) {
          const url = new URL(request.url);
          return Response.json({ path: url.pathname, sku: url.searchParams.get("sku"), method: request.method,
            body: await request.text(), caller: request.headers.get("x-caller"),
            correlation: request.headers.get("x-correlation-id") });
        },
      };`,
    );
    await deploySource(
      t.client,
      "shop",
      `export default {
        async fetch(request, env) {
          const res = await env.INVENTORY.fetch("/stock?sku=42", { method: "POST", body: "hi",
            headers: { "x-caller": "shop", "x-correlation-id": "made-up" } });
          return new Response(await res.text(), { status: res.status, headers: { "x-inner": String(res.status) } });
        },
      };`,
      { bindings: bindings("services:\n  INVENTORY: inventory") },
    );
    await deploySource(
      t.client,
      "looper",
      `export default {
        async fetch(request, env) {
          const n = Number(new URL(request.url).searchParams.get("n") ?? 0);
          try {
            const r = await env.SELF.fetch("/?n=" + (n + 1));
            return new Response(await r.text(), { status: r.status });
          } catch (e) {
            return new Response("stopped at " + n + ": " + e.message, { status: 508 });
          }
        },
      };`,
      { bindings: bindings("services:\n  SELF: looper"), timeout: "5s", concurrency: 20 },
    );
    await deploySource(
      t.client,
      "lambda-shop",
      `export const handler = async (event, context) => {
        const res = await context.env.INVENTORY.fetch("/from-lambda");
        return { statusCode: 200, body: await res.text() };
      };`,
      { bindings: bindings("services:\n  INVENTORY: inventory") },
    );
    await deploySource(
      t.client,
      "forger",
      // Replacing Headers' iterator gets past the sandbox's own checks: the host's must refuse the header.
      `export default {
        async fetch(request, env) {
          Headers.prototype[Symbol.iterator] = function* () { yield ["bad name", "x"]; };
          try { await env.INVENTORY.fetch("/"); return new Response("sent"); }
          catch (e) { return new Response(e.message, { status: 400 }); }
        },
      };`,
      { bindings: bindings("services:\n  INVENTORY: inventory") },
    );
    await deploySource(
      t.client,
      "dangling",
      `export default { async fetch(request, env) { const r = await env.GONE.fetch("/"); return new Response(await r.text(), { status: r.status }); } };`,
      { bindings: bindings("services:\n  GONE: no-such-function") },
    );
  });

  after(async () => {
    await t.close();
    await removeFunctionDirs();
  });

  it("calls another function directly, which sees its own path, method, body and headers", async () => {
    const res = await get("shop/", { "x-correlation-id": "order-7" });
    assert.equal(res.status, 200);
    // The correlation id the callee sees is the one it is recorded under, not one the caller's code made up.
    assert.deepEqual(await res.json(), {
      path: "/stock",
      sku: "42",
      method: "POST",
      body: "hi",
      caller: "shop",
      correlation: "order-7",
    });
  });

  it("records the callee's activation in the caller's trace and correlation, with trigger service", async () => {
    const res = await get("shop/", { "x-correlation-id": "order-8" });
    await res.text();
    const caller = await activation(t.client, res.headers.get("x-pave-activation-id") ?? "");
    const page = await eventually(async () => {
      const p = await t.client.listActivations({ function: "inventory" });
      const found = p.activations.find((a) => a.correlationId === "order-8");
      assert.ok(found);
      return found;
    });
    assert.equal(page.trigger, "service");
    assert.equal(page.traceId, caller.traceId);
    assert.equal(page.status, "success");
    // One query finds everything the request touched, across functions: by trace id, or by correlation id.
    const byTrace = await t.client.listActivations({ trace: caller.traceId });
    assert.deepEqual(byTrace.activations.map((a) => a.function).sort(), ["inventory", "shop"]);
    const byCorrelation = await t.client.listActivations({ correlation: "order-8", trigger: "service" });
    assert.deepEqual(
      byCorrelation.activations.map((a) => a.function),
      ["inventory"],
    );
  });

  it("refuses malformed activation filters with what was expected", async () => {
    const bad = async (query: string) => {
      const res = await fetch(`${t.server.url}/api/v1/activations?${query}`, {
        headers: { authorization: `Bearer ${t.server.adminToken}` },
      });
      return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
    };
    const trace = await bad("trace=not-a-trace");
    assert.equal(trace.status, 400);
    assert.match(trace.body.error.message, /trace: .*32 lowercase hex digits/);
    assert.match((await bad("since=yesterday-ish")).body.error.message, /since: .*a duration like 1h or a date/);
    assert.match((await bad("trigger=cron")).body.error.message, /trigger/);
    assert.match((await bad("colour=red")).body.error.message, /colour/);
    // A cursor that is no activation id was compared as text and answered with the first page.
    assert.match((await bad("before=garbage")).body.error.message, /before: an activation id/);
  });

  it("serves Lambda-style handlers through context.env", async () => {
    const res = await get("lambda-shop/");
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { path: string }).path, "/from-lambda");
  });

  it("stops a function that calls itself at 16 levels with RecursionLimit", async () => {
    const res = await get("looper/");
    assert.equal(res.status, 508);
    assert.equal(
      await res.text(),
      "stopped at 16: RecursionLimit: calling looper would nest service calls 17 deep; the limit is 16",
    );
  });

  it("refuses a service call whose headers the caller forged past its sandbox's checks, with BadRequest", async () => {
    const res = await get("forger/");
    assert.equal(res.status, 400);
    assert.equal(await res.text(), 'BadRequest: the request to inventory: invalid header ["bad name","x"]');
  });

  it("answers a call to a function that does not exist like the gateway would", async () => {
    const res = await get("dangling/");
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "FunctionNotFound");
  });
});

describe("kv, secrets and topics bindings", () => {
  let t: TestServer;
  const get = (path: string, init: RequestInit = {}) => fetch(`${t.server.url}/fn/${path}`, init);
  const text = async (path: string, init: RequestInit = {}) => {
    const res = await get(path, init);
    return { status: res.status, body: await res.text(), id: res.headers.get("x-pave-activation-id") ?? "" };
  };
  const STRIPE = "sk_test_4eC39HqLyjWDarjtT1zdp7dc";

  before(async () => {
    // Inline runs always, so that the handler cut short inline (below) is certain to be one.
    t = await startTestServer({ inline: "always" });
    await t.client.putKvValue("prices", "apple", "3");
    await t.client.setSecret("STRIPE_KEY", STRIPE);
    await t.client.setSecret("OTHER_KEY", "not-for-you-1234");
    await t.client.createTopic("orders");
    await deploySource(
      t.client,
      "carts",
      `export default {
        async fetch(request, env) {
          const url = new URL(request.url);
          const op = url.pathname.slice(1);
          try {
            if (op === "roundtrip") {
              await env.CARTS.put("cart:1", JSON.stringify({ items: 2 }));
              await env.CARTS.put("bytes", new Uint8Array([0, 1, 255]));
              const bytes = new Uint8Array(await env.CARTS.get("bytes", "arrayBuffer"));
              return Response.json({ json: await env.CARTS.get("cart:1", "json"), text: await env.CARTS.get("cart:1"),
                bytes: [...bytes], missing: await env.CARTS.get("nope"), price: await env.PRICES.get("apple") });
            }
            if (op === "list") {
              for (let i = 0; i < 5; i++) await env.CARTS.put("l:" + i, "v");
              const first = await env.CARTS.list({ prefix: "l:", limit: 2 });
              const rest = await env.CARTS.list({ prefix: "l:", cursor: first.cursor });
              return Response.json({ first, rest });
            }
            if (op === "readonly") await env.PRICES.put("apple", "0");
            if (op === "toolarge") await env.CARTS.put("big", "x".repeat(1024 * 1024 + 1));
            if (op === "badkey") await env.CARTS.get("");
            if (op === "delete") { await env.CARTS.put("gone", "1"); await env.CARTS.delete("gone"); return new Response(String(await env.CARTS.get("gone"))); }
            if (op === "ttl") { await env.CARTS.put("short", "1", { expirationTtl: 1 }); return new Response("ok"); }
            return new Response("unknown op", { status: 400 });
          } catch (e) {
            return new Response(e.message, { status: 418 });
          }
        },
      };`,
      { bindings: bindings("kv:\n  CARTS: { namespace: carts }\n  PRICES: { namespace: prices, access: read }") },
    );
    await deploySource(
      t.client,
      "nosy",
      `export default { async fetch(request, env) { return Response.json({ keys: Object.keys(env), processEnv: Object.keys(process.env) }); } };`,
    );
    await deploySource(
      t.client,
      "payer",
      `export default {
        async fetch(request, env) {
          const op = new URL(request.url).pathname.slice(1);
          console.log("charging with", env.STRIPE_KEY);
          if (op === "throw") throw new Error("bad key " + env.STRIPE_KEY);
          return Response.json({ key: env.STRIPE_KEY, other: env.OTHER_KEY ?? null, fromProcess: process.env.STRIPE_KEY });
        },
      };`,
      { bindings: bindings("secrets: [STRIPE_KEY, MISSING_KEY]") },
    );
    await deploySource(
      t.client,
      "lambda-payer",
      `export const handler = async () => ({ key: process.env.STRIPE_KEY, missing: process.env.MISSING_KEY ?? null });`,
      { bindings: bindings("secrets: [STRIPE_KEY, MISSING_KEY]") },
    );
    await deploySource(
      t.client,
      "publisher",
      `export default {
        async fetch(request, env) {
          const op = new URL(request.url).pathname.slice(1);
          try {
            if (op === "one") return Response.json(await env.ORDERS.publish({ order: 1 }));
            if (op === "missing") return Response.json(await env.NOWHERE.publish({ order: 2 }));
            if (op === "big") return Response.json(await env.ORDERS.publish("x".repeat(300 * 1024)));
          } catch (e) {
            return new Response(e.message, { status: 418 });
          }
          return new Response("?", { status: 400 });
        },
      };`,
      { bindings: bindings("topics:\n  ORDERS: orders\n  NOWHERE: not-created") },
    );
  });

  after(async () => {
    await t.close();
    await removeFunctionDirs();
  });

  it("reads and writes text, JSON and bytes in a granted namespace", async () => {
    const r = await text("carts/roundtrip");
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), {
      json: { items: 2 },
      text: '{"items":2}',
      bytes: [0, 1, 255],
      missing: null,
      price: "3",
    });
    // The operator sees the same data through the control API.
    const seen = await t.client.getKvValue("carts", "cart:1");
    assert.equal(Buffer.from(seen.value).toString(), '{"items":2}');
  });

  it("lists keys in order by prefix, a page at a time", async () => {
    const r = JSON.parse((await text("carts/list")).body) as {
      first: { keys: { name: string }[]; list_complete: boolean; cursor: string };
      rest: { keys: { name: string }[]; list_complete: boolean };
    };
    assert.deepEqual(
      r.first.keys.map((k) => k.name),
      ["l:0", "l:1"],
    );
    assert.equal(r.first.list_complete, false);
    assert.deepEqual(
      r.rest.keys.map((k) => k.name),
      ["l:2", "l:3", "l:4"],
    );
    assert.equal(r.rest.list_complete, true);
  });

  it("refuses writes to a read-only namespace, oversized values and bad keys, each with its code", async () => {
    assert.deepEqual(await text("carts/readonly").then((r) => [r.status, r.body]), [
      418,
      "BindingDenied: the kv binding PRICES is read-only (access: read)",
    ]);
    assert.match(
      (await text("carts/toolarge")).body,
      /^KvValueTooLarge: the value is 1048577 bytes; a kv value may be at most 1048576$/,
    );
    assert.match((await text("carts/badkey")).body, /^KvKeyInvalid: /);
    assert.equal((await text("carts/delete")).body, "null");
    assert.equal(Buffer.from((await t.client.getKvValue("prices", "apple")).value).toString(), "3");
  });

  it("expires a value after its TTL", async () => {
    assert.equal((await text("carts/ttl")).body, "ok");
    assert.ok((await t.client.listKvKeys("carts", { prefix: "short" })).keys.length === 1);
    await eventually(
      async () => assert.equal((await t.client.listKvKeys("carts", { prefix: "short" })).keys.length, 0),
      4000,
      200,
    );
  });

  it("gives a function without grants an empty env and no secrets", async () => {
    assert.deepEqual(JSON.parse((await text("nosy/")).body), { keys: [], processEnv: [] });
  });

  it("hands a function only the secrets it lists, in env and process.env", async () => {
    const r = JSON.parse((await text("payer/")).body);
    assert.deepEqual(r, { key: STRIPE, other: null, fromProcess: STRIPE });
    const lambda = await t.client.invoke("lambda-payer", {});
    assert.deepEqual(lambda.result, { key: STRIPE, missing: null });
  });

  it("keeps secret values out of logs and error messages", async () => {
    const ok = await text("payer/");
    const act = await activation(t.client, ok.id);
    const logs = act.logs.map((l) => l.message);
    assert.deepEqual(logs, ["charging with [secret STRIPE_KEY]"]);
    assert.equal(act.status, "success");
    const failed = await text("payer/throw");
    assert.equal(failed.status, 500);
    assert.ok(!failed.body.includes(STRIPE), failed.body);
    const failedAct = await activation(t.client, failed.id);
    assert.match(failedAct.errorMessage ?? "", /bad key \[secret STRIPE_KEY\]/);
  });

  it("gives new values to functions once a secret changes", async () => {
    await t.client.setSecret("STRIPE_KEY", "sk_test_rotated_0000");
    assert.equal(JSON.parse((await text("payer/")).body).key, "sk_test_rotated_0000");
    await t.client.setSecret("STRIPE_KEY", STRIPE);
  });

  it("publishes durable events with the caller's correlation id", async () => {
    const r = await text("publisher/one", { headers: { "x-correlation-id": "order-99" } });
    assert.equal(r.status, 200, r.body);
    const { id } = JSON.parse(r.body) as { id: string };
    const events = await t.server.store.listEvents("prod", "orders", { limit: 10 });
    const event = events.find((e) => e.id === id);
    assert.ok(event, "committed before publish resolved");
    assert.equal(event.payload, '{"order":1}');
    assert.equal(event.correlationId, "order-99");
    assert.equal(event.source, "function:publisher");
    assert.match((await text("publisher/missing")).body, /^TopicNotFound: /);
    assert.match(
      (await text("publisher/big")).body,
      /^PayloadTooLarge: the message is \d+ bytes of JSON; the limit is 262144$/,
    );
  });

  it("does not repeat what a handler cut short inline had asked for: its rerun publishes once", async () => {
    await t.client.createTopic("spins");
    await deploySource(
      t.client,
      "spinner",
      `export default { fetch(request, env) { env.SPINS.publish({ at: "start" }); for (;;) {} } };`,
      { bindings: bindings("topics:\n  SPINS: spins"), timeout: "300ms" },
    );
    const r = await text("spinner/");
    assert.equal(r.status, 504);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal((await t.server.store.listEvents("prod", "spins", { limit: 10 })).length, 1);
  });

  it("records GB-seconds and the isolate's CPU time on the activation", async () => {
    const r = await text("nosy/");
    const act = await activation(t.client, r.id);
    assert.equal(act.gbSeconds, (128 / 1024) * (act.billedMs / 1000));
    assert.equal(typeof act.cpuMs, "number");
    assert.ok(
      (act.cpuMs ?? -1) >= 0 && (act.cpuMs ?? 0) <= act.durationMs + 1,
      `cpu ${act.cpuMs} of ${act.durationMs} ms`,
    );
  });
});

describe("egress from a function", () => {
  let t: TestServer;
  let upstream: Server;
  let upstreamPort = 0;

  before(async () => {
    upstream = createServer((req, res) =>
      res.writeHead(200, { "content-type": "text/plain" }).end(`upstream saw ${req.method} ${req.url}`),
    );
    upstream.listen(0, "127.0.0.1");
    await once(upstream, "listening");
    upstreamPort = (upstream.address() as AddressInfo).port;
    t = await startTestServer();
    const source = `export default {
      async fetch(request) {
        const target = new URL(request.url).searchParams.get("to");
        try {
          const res = await fetch(target, { method: "POST", body: "ping" });
          return new Response(await res.text(), { status: res.status });
        } catch (e) {
          return new Response(e.constructor.name + ": " + e.message, { status: 502 });
        }
      },
    };`;
    await deploySource(t.client, "caller", source, { bindings: bindings(`egress: ["127.0.0.1:${upstreamPort}"]`) });
    await deploySource(t.client, "closed", source);
  });

  after(async () => {
    await t.close();
    upstream.close();
    await removeFunctionDirs();
  });

  const call = async (fn: string, to: string) => {
    const res = await fetch(`${t.server.url}/fn/${fn}/?to=${encodeURIComponent(to)}`);
    return { status: res.status, body: await res.text(), id: res.headers.get("x-pave-activation-id") ?? "" };
  };

  it("reaches an explicitly granted host and records the call on the activation", async () => {
    const r = await call("caller", `http://127.0.0.1:${upstreamPort}/orders`);
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, "upstream saw POST /orders");
    const act = await activation(t.client, r.id);
    assert.equal(act.egress.length, 1);
    const { durationMs, ...recorded } = act.egress[0]!;
    assert.deepEqual(recorded, {
      host: `127.0.0.1:${upstreamPort}`,
      method: "POST",
      status: 200,
      bytesOut: 4,
      bytesIn: 25,
    });
    assert.ok(durationMs >= 0);
  });

  it("refuses the Pave server itself and any host not granted, and records the refusal", async () => {
    const self = await call("caller", `${t.server.url}/api/v1/functions`);
    assert.equal(self.status, 502);
    assert.match(self.body, /^TypeError: EgressDenied: 127\.0\.0\.1:\d+ is not in this function's egress list/);
    const act = await activation(t.client, self.id);
    assert.equal(act.egress[0]?.error, "EgressDenied");
    const ungranted = await call("closed", `http://127.0.0.1:${upstreamPort}/`);
    assert.match(ungranted.body, /^TypeError: EgressDenied: /);
    const metadata = await call("closed", "http://169.254.169.254/latest/meta-data/");
    assert.match(metadata.body, /^TypeError: EgressDenied: 169\.254\.169\.254 is not in this function's egress list/);
  });
});
