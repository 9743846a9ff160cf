import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  fromWire,
  type Invocation,
  type InvocationMeta,
  resultFromWire,
  resultToWire,
  type SandboxResult,
  toWire,
} from "../../src/runtime/protocol.ts";

const meta: InvocationMeta = {
  id: "01a2b3c4-0000-7000-8000-000000000001",
  functionName: "checkout",
  functionVersion: "v1a2b3",
  memoryMb: 128,
  deadline: 1_800_000_000_000,
  traceId: "0af7651916cd43dd8448eb211c80319c",
  spanId: "b7ad6b7169203331",
  traceState: "vendor=1",
  correlationId: "order-42",
  depth: 2,
  readOnly: true,
};
/** What the sandbox is given of the meta: the trace and correlation ids stay with the host. */
const sandboxMeta = {
  id: meta.id,
  functionName: meta.functionName,
  functionVersion: meta.functionVersion,
  memoryMb: meta.memoryMb,
  deadline: meta.deadline,
};

describe("the invocation wire format", () => {
  const cases: Invocation[] = [
    {
      kind: "fetch",
      meta,
      method: "POST",
      url: "http://example.com/a?b=1",
      headers: [
        ["content-type", "application/json"],
        ["x-dup", "1"],
        ["x-dup", "2"],
      ],
      body: new Uint8Array([1, 2, 3]),
    },
    { kind: "fetch", meta, method: "GET", url: "http://example.com/", headers: [], body: null },
    { kind: "event", meta, event: '{"a":1}', resultOptional: true },
    { kind: "event", meta, event: "null", resultOptional: false },
    { kind: "scheduled", meta, cron: "*/5 * * * *", scheduledTime: 1_800_000_000_000 },
    {
      kind: "queue",
      meta,
      queue: "orders",
      messages: [{ id: "e1", timestamp: 1, body: '{"n":1}', attempts: 2 }],
    },
  ];
  for (const inv of cases) {
    it(`carries a ${inv.kind} invocation whole (headers in order, duplicates kept) as a flat array`, () => {
      const wire = toWire(inv);
      // Strings, numbers, a body's bytes: no nested objects to copy (a queue's messages are the one exception).
      const nested = wire.filter((v) => v !== null && typeof v === "object" && !(v instanceof Uint8Array));
      assert.equal(nested.length, inv.kind === "queue" ? 1 : 0);
      assert.deepEqual(fromWire(structuredClone(wire)), { ...inv, meta: sandboxMeta });
    });
  }
});

describe("results on the wire", () => {
  const cases: SandboxResult[] = [
    {
      kind: "response",
      status: 201,
      headers: [
        ["set-cookie", "a=1"],
        ["set-cookie", "b=2"],
        ["content-type", "text/plain"],
      ],
      body: "created",
    },
    { kind: "response", status: 200, headers: [], body: new Uint8Array([0, 255, 7]) },
    { kind: "response", status: 204, headers: [], body: null },
    { kind: "value", json: '{"ok":true}' },
    { kind: "error", code: "InvalidResponse", message: "fetch() must return a Response, got null" },
  ];
  for (const r of cases) {
    it(`carries a ${r.kind} whole (headers in order, duplicates kept) as a flat array`, () => {
      const wire = resultToWire(r);
      assert.ok(wire.every((v) => v === null || typeof v !== "object" || v instanceof Uint8Array));
      assert.deepEqual(resultFromWire(structuredClone(wire)), r);
    });
  }

  it("takes what is not a result, or an error code the sandbox does not give, as the function's failure", () => {
    for (const junk of [undefined, 42, "response", { kind: "response" }, ["teapot", 418]]) {
      assert.deepEqual(resultFromWire(junk), {
        kind: "error",
        code: "InvalidResponse",
        message: "the function sent no result",
      });
    }
    assert.deepEqual(resultFromWire(["error", "Internal", { toString: () => "x" }]), {
      kind: "error",
      code: "FunctionError",
      message: "x",
    });
  });
});
