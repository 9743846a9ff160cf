// Activation, trace and span ids as the gateway mints them: their formats, their order, and that they never repeat.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse as parseUuid, validate, version } from "uuid";
import { newActivationIds, newSpanId } from "../../src/telemetry/ids.ts";

describe("activation ids", () => {
  it("are UUIDv7 (RFC 9562: version 7, variant 10) stamped with the current millisecond", () => {
    const before = Date.now();
    const [id] = newActivationIds();
    const after = Date.now();
    assert.ok(validate(id), id);
    assert.equal(version(id), 7);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ms = Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    assert.ok(ms >= before && ms <= after, `${ms} within [${before}, ${after}]`);
  });

  it("come with their own 128 bits as a trace id: 32 lowercase hex digits", () => {
    for (let i = 0; i < 100; i++) {
      const [id, traceId] = newActivationIds();
      assert.equal(traceId, id.replaceAll("-", ""));
      assert.deepEqual(Buffer.from(traceId, "hex"), Buffer.from(parseUuid(id)));
    }
  });

  it("only ever grow, so newest first is an index scan, and never repeat across many (and pool refills)", () => {
    const ids = Array.from({ length: 50_000 }, () => newActivationIds()[0]);
    for (let i = 1; i < ids.length; i++)
      assert.ok((ids[i - 1] as string) < (ids[i] as string), `${ids[i - 1]} < ${ids[i]}`);
    assert.equal(new Set(ids).size, ids.length);
  });

  it("differ in their random bits, not only in the counter", () => {
    const tails = new Set(Array.from({ length: 1000 }, () => newActivationIds()[0].slice(24)));
    assert.equal(tails.size, 1000);
  });
});

describe("span ids", () => {
  it("are 16 lowercase hex digits, distinct across many draws (and pool refills), never all zeros", () => {
    const ids = new Set(Array.from({ length: 5000 }, () => newSpanId()));
    assert.equal(ids.size, 5000);
    for (const id of ids) assert.match(id, /^[0-9a-f]{16}$/);
    assert.ok(!ids.has("0".repeat(16)));
  });
});
