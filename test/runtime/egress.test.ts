// Egress on the host: the allow-list, the private-address guard (including DNS answers and redirects), deadlines,
// size limits, and the record each call leaves — against a real HTTP server on loopback.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  EgressError,
  type EgressRequest,
  egressFetch,
  parseEgressGrants,
  publicOnlyLookup,
} from "../../src/runtime/bindings/egress.ts";
import type { EgressCall } from "../../src/store/index.ts";

let server: Server;
let port = 0;
const LIMITS = { maxResponseBytes: 1024, timeoutMs: 2000 };

before(async () => {
  server = createServer((req, res) => {
    if (req.url === "/hello") {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        res.writeHead(201, { "content-type": "text/plain", "x-seen-method": req.method ?? "" });
        res.end(`hi ${body}`);
      });
      return;
    }
    if (req.url === "/big") return void res.end("x".repeat(4096));
    if (req.url === "/slow") return void setTimeout(() => res.end("late"), 3000);
    if (req.url === "/to-hello") return void res.writeHead(302, { location: "/hello" }).end();
    if (req.url === "/elsewhere") return void res.writeHead(307, { location: "http://example.invalid/x" }).end();
    res.writeHead(404).end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as AddressInfo).port;
});

after(() => server.close());

function get(path: string, extra: Partial<EgressRequest> = {}): EgressRequest {
  return { url: `http://127.0.0.1:${port}${path}`, method: "GET", headers: [], body: null, ...extra };
}

async function call(grants: string[], req: EgressRequest, deadline = Date.now() + 5000) {
  const calls: EgressCall[] = [];
  try {
    const res = await egressFetch(parseEgressGrants(grants), req, deadline, LIMITS, (c) => calls.push(c));
    return { res, calls };
  } catch (err) {
    return { err: err as EgressError, calls };
  }
}

describe("egress", () => {
  it("refuses a host that is not granted, and records the refusal", async () => {
    const { err, calls } = await call(["api.example.com"], get("/hello"));
    assert.ok(err instanceof EgressError);
    assert.equal(err.code, "EgressDenied");
    assert.match(err.message, /127\.0\.0\.1:\d+ is not in this function's egress list/);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.error, "EgressDenied");
    assert.equal(calls[0]?.status, null);
  });

  it("reaches loopback only when it is listed explicitly, with method, body and status recorded", async () => {
    const { res, calls } = await call([`127.0.0.1:${port}`], get("/hello", { method: "POST", body: "there" }));
    assert.equal(res?.status, 201);
    assert.equal(Buffer.from(res?.body ?? []).toString(), "hi there");
    assert.ok(res?.headers.some(([k, v]) => k === "x-seen-method" && v === "POST"));
    assert.deepEqual(
      calls.map(({ durationMs: _d, ...c }) => c),
      [{ host: `127.0.0.1:${port}`, method: "POST", status: 201, bytesOut: 5, bytesIn: 8 }],
    );
  });

  it("does not let a wildcard or another port reach a private address", async () => {
    const wildcard = await call(["*.0.0.1"], get("/hello"));
    assert.equal(wildcard.err?.code, "EgressDenied");
    assert.match(wildcard.err?.message ?? "", /is a loopback address/);
    const otherPort = await call(["127.0.0.1:1"], get("/hello"));
    assert.equal(otherPort.err?.code, "EgressDenied");
  });

  it("checks what a name resolves to: localhost is loopback", async () => {
    const err = await new Promise<Error | null>((resolve) => publicOnlyLookup("localhost", {}, (e) => resolve(e)));
    assert.ok(err instanceof EgressError);
    assert.match(err.message, /localhost resolves to 127\.0\.0\.1, which is a loopback address/);
  });

  it("refuses non-http schemes", async () => {
    const { err } = await call(["example.com"], { ...get("/"), url: "file:///etc/passwd" });
    assert.equal(err?.code, "EgressDenied");
    assert.match(err?.message ?? "", /http and https only/);
  });

  it("follows redirects, checking each hop against the grants", async () => {
    const ok = await call([`127.0.0.1:${port}`], get("/to-hello"));
    assert.equal(ok.res?.status, 201);
    assert.equal(ok.res?.redirected, true);
    assert.equal(ok.calls.length, 2);
    const denied = await call([`127.0.0.1:${port}`], get("/elsewhere"));
    assert.equal(denied.err?.code, "EgressDenied");
    assert.match(denied.err?.message ?? "", /example\.invalid is not in this function's egress list/);
    const manual = await call([`127.0.0.1:${port}`], get("/to-hello", { redirect: "manual" }));
    assert.equal(manual.res?.status, 302);
  });

  it("stops reading a response over the size limit", async () => {
    const { err, calls } = await call([`127.0.0.1:${port}`], get("/big"));
    assert.equal(err?.code, "EgressTooLarge");
    assert.equal(calls[0]?.error, "EgressTooLarge");
  });

  it("gives up at the invocation's deadline", async () => {
    const started = Date.now();
    const { err } = await call([`127.0.0.1:${port}`], get("/slow"), Date.now() + 200);
    assert.equal(err?.code, "Timeout");
    assert.ok(Date.now() - started < 2500, "bounded by the deadline, not the server");
  });
});
