// Bindings end to end on a real server: what a function's `env` can reach, and that it reaches nothing else.
import assert from "node:assert/strict";
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
            body: await request.text(), caller: request.headers.get("x-caller") });
        },
      };`,
    );
    await deploySource(
      t.client,
      "shop",
      `export default {
        async fetch(request, env) {
          const res = await env.INVENTORY.fetch("/stock?sku=42", { method: "POST", body: "hi", headers: { "x-caller": "shop" } });
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
    assert.deepEqual(await res.json(), { path: "/stock", sku: "42", method: "POST", body: "hi", caller: "shop" });
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

  it("answers a call to a function that does not exist like the gateway would", async () => {
    const res = await get("dangling/");
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "FunctionNotFound");
  });
});
