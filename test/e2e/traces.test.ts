// Traces end to end on a real server: W3C trace context in and out (a malformed traceparent starts a new trace), one
// server span per invocation with FaaS attributes, child spans for kv, fetch, service and publish calls, a service
// chain in one trace with correct parent links, and `pave trace` drawing it.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { Span, TraceAnswer } from "../../src/client/index.ts";
import { deploySource, eventually, removeFunctionDirs, startTestServer, type TestServer } from "./helpers.ts";

const BIN = fileURLToPath(new URL("../../bin/pave.js", import.meta.url));
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

/** Waits until the trace holds `count` spans (they are written a moment after each invocation ends). */
function traceOf(t: TestServer, traceId: string, count: number): Promise<TraceAnswer> {
  return eventually(async () => {
    const trace = await t.client.getTrace(traceId);
    assert.equal(trace.spans.length, count, trace.spans.map((s) => s.name).join(", "));
    return trace;
  }, 5000);
}

function only(spans: Span[], predicate: (s: Span) => boolean): Span {
  const found = spans.filter(predicate);
  assert.equal(found.length, 1, `expected one span, found ${found.map((s) => s.name).join(", ") || "none"}`);
  return found[0] as Span;
}

describe("traces", () => {
  let t: TestServer;
  let upstream: Server;
  const seen: IncomingHttpHeaders[] = [];
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${t.server.url}/fn/${path}`, { headers });

  before(async () => {
    upstream = createServer((req, res) => {
      seen.push(req.headers);
      res.end("upstream says hi");
    });
    upstream.listen(0, "127.0.0.1");
    await once(upstream, "listening");
    const port = (upstream.address() as AddressInfo).port;
    t = await startTestServer();
    await t.client.createTopic("orders");
    await deploySource(
      t.client,
      "inventory",
      `export default {
        async fetch(request, env) {
          return new Response(String((await env.STOCK.get("sku-1")) ?? 0));
        },
      };`,
      { bindings: "\n  kv: { STOCK: { namespace: stock } }" },
    );
    await deploySource(
      t.client,
      "shop",
      `export default {
        async fetch(request, env) {
          await env.CARTS.put("cart-1", "x");
          const up = await fetch("http://127.0.0.1:${port}/hello?token=secret", { headers: { traceparent: "forged" } });
          const stock = await env.INVENTORY.fetch("/stock");
          await env.ORDERS.publish({ order: 1 });
          return new Response((await up.text()) + " / " + (await stock.text()));
        },
      };`,
      {
        bindings: `\n  kv: { CARTS: { namespace: carts } }\n  egress: ["127.0.0.1:${port}"]\n  services: { INVENTORY: inventory }\n  topics: { ORDERS: orders }`,
      },
    );
    await deploySource(t.client, "plain", `export default { fetch: () => new Response("plain") };`);
  });

  after(async () => {
    await t.close();
    upstream.close();
    await removeFunctionDirs();
  });

  it("continues a valid traceparent: same trace, the caller's span as parent, tracestate passed on", async () => {
    seen.length = 0;
    const res = await get("shop/", { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: "rojo=1, congo=t61" });
    assert.equal(await res.text(), "upstream says hi / 0");
    const [, traceId, spanId] = TRACEPARENT.exec(res.headers.get("traceparent") ?? "") ?? [];
    assert.equal(traceId, TRACE);
    const trace = await traceOf(t, TRACE, 7);
    const shop = only(trace.spans, (s) => s.kind === "server" && s.function === "shop");
    assert.equal(shop.spanId, spanId, "the response names the invocation's span");
    assert.equal(shop.parentSpanId, PARENT);
    assert.equal(shop.name, "GET /fn/shop");
    const activationId = res.headers.get("x-pave-activation-id");
    assert.deepEqual(
      {
        ...shop.attributes,
        "faas.coldstart": typeof shop.attributes["faas.coldstart"],
        "faas.version": typeof shop.attributes["faas.version"],
        "pave.billed_ms": typeof shop.attributes["pave.billed_ms"],
      },
      {
        "faas.trigger": "http",
        "faas.invocation_id": activationId,
        "faas.coldstart": "boolean",
        "faas.name": "shop",
        "faas.version": "string",
        "faas.max_memory": 128 * 1024 * 1024,
        "pave.env": "prod",
        "pave.trigger": "http",
        "pave.correlation_id": res.headers.get("x-correlation-id"),
        "pave.billed_ms": "number",
        "http.request.method": "GET",
        "url.path": "/",
        "http.response.status_code": 200,
      },
    );
    assert.equal(shop.status, "ok");

    // kv, fetch, service and publish: children of the invocation's span, made on the host.
    const kv = only(trace.spans, (s) => s.name === "kv.put carts");
    assert.equal(kv.parentSpanId, shop.spanId);
    assert.equal(kv.kind, "client");
    assert.deepEqual(kv.attributes, {
      "db.system.name": "pave.kv",
      "db.operation.name": "put",
      "db.namespace": "carts",
      "pave.binding": "CARTS",
    });
    const call = only(trace.spans, (s) => s.name.startsWith("GET 127.0.0.1:"));
    assert.equal(call.parentSpanId, shop.spanId);
    assert.equal(
      call.attributes["url.full"],
      `http://${call.attributes["server.address"]}:${call.attributes["server.port"]}/hello`,
    );
    assert.equal(call.attributes["http.response.status_code"], 200);
    // The upstream got our traceparent (not the function's forged one), naming the fetch span, and the tracestate.
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.traceparent, `00-${TRACE}-${call.spanId}-01`);
    assert.equal(seen[0]?.tracestate, "rojo=1,congo=t61");

    const send = only(trace.spans, (s) => s.kind === "producer");
    assert.equal(send.parentSpanId, shop.spanId);
    assert.equal(send.name, "send orders");
    assert.equal(send.attributes["messaging.system"], "pave");
    assert.equal(send.attributes["messaging.destination.name"], "orders");
    assert.equal(send.attributes["messaging.operation.type"], "send");
    const [event] = await t.server.store.listEvents("prod", "orders", { limit: 10 });
    assert.equal(event?.traceId, TRACE);
    assert.equal(event?.spanId, send.spanId, "a consumer can link to the publishing span");
    assert.equal(event?.id, send.attributes["messaging.message.id"]);

    // The service call: the caller's client span, then the callee's server span under it, and its kv call.
    const client = only(trace.spans, (s) => s.name === "GET inventory");
    assert.equal(client.kind, "client");
    assert.equal(client.parentSpanId, shop.spanId);
    assert.equal(client.attributes["http.response.status_code"], 200);
    const inventory = only(trace.spans, (s) => s.kind === "server" && s.function === "inventory");
    assert.equal(inventory.parentSpanId, client.spanId);
    assert.equal(inventory.attributes["faas.trigger"], "http");
    assert.equal(inventory.attributes["pave.trigger"], "service");
    assert.equal(inventory.attributes["pave.correlation_id"], shop.attributes["pave.correlation_id"]);
    const read = only(trace.spans, (s) => s.name === "kv.get stock");
    assert.equal(read.parentSpanId, inventory.spanId);
    assert.equal(read.function, "inventory");
    for (const s of trace.spans) {
      assert.equal(s.traceId, TRACE);
      assert.ok(s.startedAt >= shop.startedAt && s.startedAt + s.durationMs <= shop.startedAt + shop.durationMs + 1);
    }
  });

  const malformed: [string, string][] = [
    ["all-zero trace id", `00-${"0".repeat(32)}-${PARENT}-01`],
    ["all-zero span id", `00-${TRACE}-${"0".repeat(16)}-01`],
    ["uppercase", `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ["version ff", `ff-${TRACE}-${PARENT}-01`],
    ["short trace id", `00-${TRACE.slice(2)}-${PARENT}-01`],
    ["not hex", `00-${TRACE.slice(0, -1)}x-${PARENT}-01`],
  ];
  for (const [what, header] of malformed) {
    it(`ignores a traceparent with ${what} and starts a new trace`, async () => {
      const res = await get("plain/", { traceparent: header, tracestate: "rojo=1" });
      assert.equal(await res.text(), "plain");
      const [, traceId, spanId] = TRACEPARENT.exec(res.headers.get("traceparent") ?? "") ?? [];
      assert.ok(traceId && spanId, "the response carries a valid traceparent");
      assert.notEqual(traceId, TRACE);
      assert.notEqual(traceId, "0".repeat(32));
      const [span] = (await traceOf(t, traceId, 1)).spans;
      assert.equal(span?.spanId, spanId);
      assert.equal(span?.parentSpanId, null, "a new trace has no parent");
      const activations = await t.client.listActivations({ trace: traceId });
      assert.equal(activations.activations[0]?.id, res.headers.get("x-pave-activation-id"));
    });
  }

  /** A direct invoke of `plain` (queued with `?async=1`): its status, and the span its answer's traceparent names. */
  async function invokePlain(query = ""): Promise<{ status: number; traceId: string; spanId: string }> {
    const res = await fetch(`${t.server.url}/api/v1/functions/plain/invocations${query}`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.server.adminToken}`, "content-type": "application/json" },
      body: "{}",
    });
    const [, traceId = "", spanId = ""] = TRACEPARENT.exec(res.headers.get("traceparent") ?? "") ?? [];
    return { status: res.status, traceId, spanId };
  }

  it("starts a trace for a direct invoke, answering its traceparent; faas.trigger is other", async () => {
    const { status, traceId, spanId } = await invokePlain();
    assert.equal(status, 200);
    const [span] = (await traceOf(t, traceId, 1)).spans;
    assert.equal(span?.name, "plain");
    assert.equal(span?.attributes["faas.trigger"], "other");
    assert.equal(span?.spanId, spanId, "the span the answer's traceparent names");
  });

  it("names, in a queued invoke's traceparent, the span its run records", { timeout: 20_000 }, async () => {
    const { status, traceId, spanId } = await invokePlain("?async=1");
    assert.equal(status, 202);
    const [span] = (await traceOf(t, traceId, 1)).spans;
    assert.equal(span?.name, "plain");
    assert.equal(span?.spanId, spanId);
  });

  it("answers TraceNotFound for an unknown trace and BadRequest for a malformed id", { timeout: 20_000 }, async () => {
    await assert.rejects(t.client.getTrace("a".repeat(32)), { code: "TraceNotFound" });
    await assert.rejects(t.client.getTrace("A".repeat(32)), { code: "BadRequest" });
    await assert.rejects(t.client.getTrace("0".repeat(32)), { code: "BadRequest" });
  });

  it("pave trace draws the waterfall, and --json gives the spans", { timeout: 30_000 }, async () => {
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PAVE_URL: t.server.url,
      PAVE_TOKEN: t.server.adminToken,
      PAVE_CONFIG: "/nonexistent/pave-config.json",
    };
    // Asynchronously: the server answering the CLI runs in this very process.
    const run = (args: string[]) =>
      new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, ["--no-node-snapshot", BIN, ...args], { env }, (err, stdout, stderr) =>
          resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
        );
      });
    const text = await run(["trace", TRACE]);
    assert.equal(text.status, 0, text.stderr);
    const lines = text.stdout.trimEnd().split("\n");
    assert.match(lines[0] ?? "", new RegExp(`^trace ${TRACE} · 7 spans · `));
    assert.match(lines[3] ?? "", /^GET \/fn\/shop +shop@[0-9a-f]+ +\S+ +ok +\|█/);
    assert.ok(
      lines.some((l) => /^ {4}inventory +inventory@[0-9a-f]+ /.test(l)),
      text.stdout,
    );
    assert.ok(
      lines.slice(2).every((l) => l.length <= 80),
      text.stdout,
    );
    const json = await run(["trace", TRACE, "--json"]);
    assert.equal((JSON.parse(json.stdout) as TraceAnswer).spans.length, 7);
    const missing = await run(["trace", "b".repeat(32)]);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /TraceNotFound/);
  });
});
