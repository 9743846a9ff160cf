// OTLP/HTTP export on a real server, against a local receiver that decodes what it gets (an OTLP JSON
// ExportTraceServiceRequest): real spans of a real invocation with parent links and FaaS attributes, retries after a
// 503 that deliver each span once, and a flush on a clean shutdown.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { deploySource, eventually, removeFunctionDirs, startTestServer, type TestServer } from "./helpers.ts";

interface OtlpValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: OtlpValue }[];
  status: { code?: number; message?: string };
}
interface Received {
  service: string;
  span: OtlpSpan;
  attributes: Record<string, string | number | boolean>;
}

/** OTLP's SpanKind enum as it is on the wire. */
const SERVER = 2;
const CLIENT = 3;

/** A collector stand-in: decodes each request body; answers 503 to the next `failures` trace exports. */
class Receiver {
  readonly server: Server;
  readonly spans: Received[] = [];
  requests = 0;
  failures = 0;
  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (req.url !== "/v1/traces") return res.end("upstream ok");
        this.requests++;
        assert.equal(req.headers["content-type"], "application/json");
        if (this.failures > 0) {
          this.failures--;
          res.statusCode = 503;
          return res.end();
        }
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          resourceSpans: {
            resource: { attributes: { key: string; value: OtlpValue }[] };
            scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[];
          }[];
        };
        for (const rs of body.resourceSpans) {
          const service = decode(rs.resource.attributes)["service.name"] as string;
          for (const ss of rs.scopeSpans) {
            assert.equal(ss.scope.name, "pave");
            for (const span of ss.spans) this.spans.push({ service, span, attributes: decode(span.attributes) });
          }
        }
        res.setHeader("content-type", "application/json");
        res.end("{}");
      });
    });
  }
  async start(): Promise<string> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  ofTrace(traceId: string): Received[] {
    return this.spans.filter((s) => s.span.traceId === traceId);
  }
}

function decode(list: { key: string; value: OtlpValue }[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list) {
    out[key] =
      value.stringValue ??
      value.boolValue ??
      (value.intValue !== undefined ? Number(value.intValue) : (value.doubleValue as number));
  }
  return out;
}

describe("OTLP export", () => {
  const receiver = new Receiver();
  let t: TestServer;
  let url: string;
  const call = async () => {
    const res = await fetch(`${t.server.url}/fn/exported/`);
    assert.equal(await res.text(), "upstream ok");
    const [, traceId, spanId] =
      /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(res.headers.get("traceparent") ?? "") ?? [];
    return {
      traceId: traceId as string,
      spanId: spanId as string,
      activationId: res.headers.get("x-pave-activation-id"),
    };
  };

  before(async () => {
    url = await receiver.start();
    t = await startTestServer({ otlp: { endpoint: url, delayMs: 50 } });
    await deploySource(
      t.client,
      "exported",
      `export default {
        async fetch(request, env) {
          await env.CACHE.put("k", "v");
          return new Response(await (await fetch("${url}/hello")).text());
        },
      };`,
      { bindings: `\n  kv: { CACHE: { namespace: cache } }\n  egress: ["${url.slice("http://".length)}"]` },
    );
  });

  after(async () => {
    await t.close();
    receiver.server.close();
    await removeFunctionDirs();
  });

  it("sends the invocation's span and its kv and fetch spans, linked, with FaaS attributes", async () => {
    const { traceId, spanId, activationId } = await call();
    const spans = await eventually(() => {
      const got = receiver.ofTrace(traceId);
      assert.equal(got.length, 3);
      return got;
    }, 5000);
    const server = spans.find((s) => s.span.kind === SERVER);
    assert.ok(server);
    assert.equal(server.span.spanId, spanId);
    assert.equal(server.span.parentSpanId || undefined, undefined, "a new trace's root has no parent");
    assert.equal(server.span.name, "GET /fn/exported");
    assert.equal(server.service, "exported");
    assert.equal(server.attributes["faas.trigger"], "http");
    assert.equal(server.attributes["faas.invocation_id"], activationId);
    assert.equal(server.attributes["faas.name"], "exported");
    assert.equal(typeof server.attributes["faas.coldstart"], "boolean");
    assert.equal(server.attributes["faas.max_memory"], 128 * 1024 * 1024);
    assert.equal(server.attributes["http.response.status_code"], 200);
    assert.ok(BigInt(server.span.endTimeUnixNano) > BigInt(server.span.startTimeUnixNano));

    const kv = spans.find((s) => s.span.name === "kv.put cache");
    const fetchSpan = spans.find((s) => s.span.name.startsWith("GET 127.0.0.1:"));
    for (const child of [kv, fetchSpan]) {
      assert.ok(child);
      assert.equal(child.span.kind, CLIENT);
      assert.equal(child.span.parentSpanId, spanId);
      assert.ok(BigInt(child.span.startTimeUnixNano) >= BigInt(server.span.startTimeUnixNano));
    }
    assert.equal(kv?.attributes["db.system.name"], "pave.kv");
    assert.equal(fetchSpan?.attributes["http.response.status_code"], 200);
  });

  it("retries after a 503 and delivers each span once", async () => {
    await eventually(() => assert.ok(receiver.requests > 0), 5000);
    const before = receiver.requests;
    receiver.failures = 1;
    const { traceId } = await call();
    // The exporter backs off about a second before trying again.
    await eventually(() => assert.equal(receiver.ofTrace(traceId).length, 3), 8000);
    assert.ok(receiver.requests >= before + 2, "a refused request, then the one that got through");
    await new Promise((r) => setTimeout(r, 300));
    const ids = receiver.ofTrace(traceId).map((s) => s.span.spanId);
    assert.equal(new Set(ids).size, 3);
    assert.equal(ids.length, 3);
  });
});

describe("OTLP export on shutdown", () => {
  it("flushes spans still queued when the server closes", async () => {
    const receiver = new Receiver();
    const url = await receiver.start();
    // A long delay: only the shutdown's flush can send them.
    const t = await startTestServer({ otlp: { endpoint: `${url}/v1/traces`, delayMs: 60_000 } });
    try {
      await deploySource(t.client, "quiet", `export default { fetch: () => new Response("ok") };`);
      const res = await fetch(`${t.server.url}/fn/quiet/`);
      await res.text();
      const traceId = res.headers.get("traceparent")?.split("-")[1] ?? "";
      await eventually(async () => assert.equal((await t.client.getTrace(traceId)).spans.length, 1));
      assert.equal(receiver.spans.length, 0);
      await t.close();
      assert.deepEqual(
        receiver.spans.map((s) => s.span.traceId),
        [traceId],
      );
    } finally {
      await t.close();
      receiver.server.close();
      await removeFunctionDirs();
    }
  });
});
