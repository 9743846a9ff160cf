// How activations and log lines are packed into chunks (activation-chunks.ts, log-chunks.ts): where a batch is split,
// what is derived rather than stored, and that unpacking gives back exactly what was packed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CHUNK_MAX_ROWS,
  CHUNK_SPAN_MS,
  FORMAT,
  idTime,
  ownSpanId,
  ownTraceId,
  packActivations,
  unpackChunk,
} from "../../src/store/activation-chunks.ts";
import { JsonArrayBytes } from "../../src/store/json-bytes.ts";
import { pruneBatch } from "../../src/store/kysely-activations.ts";
import { BATCH_LINES, packLogLines, pruneLogChunk, unpackLogChunk } from "../../src/store/log-chunks.ts";
import { act } from "./contract-activations.ts";
import { activationAt } from "./contract-rollups.ts";

const T0 = 1_700_000_000_000;

describe("activation chunks", () => {
  it("round-trip every field, with trace, correlation and GB-seconds stored only when not derived", () => {
    const own = act(T0);
    const joined = act(T0 + 1, {
      traceId: "a".repeat(32),
      correlationId: "order-1",
      gbSeconds: 0.5,
      shadowOf: own.id,
      shadowMatch: false,
      spanId: "1".repeat(16),
      parentSpanId: null,
      spanStartedAt: T0 + 1.25,
      httpMethod: "POST",
      httpPath: '/ü?x="y"',
      errorMessage: "line\nbreak \0 nul",
      egress: [
        { host: "h", method: "GET", status: null, bytesOut: 1, bytesIn: 0, durationMs: 2, error: "EgressDenied" },
      ],
    });
    const { chunks, links } = packActivations([own, joined]);
    assert.equal(chunks.length, 1);
    const [chunk] = chunks;
    assert.ok(chunk);
    assert.deepEqual(unpackChunk(chunk), [own, joined]);
    assert.deepEqual(links, [
      { kind: "trace", key: "a".repeat(32), activation_id: joined.id, chunk: 0 },
      { kind: "correlation", key: "order-1", activation_id: joined.id, chunk: 0 },
    ]);
    // The own activation's derivable fields are not in the body.
    assert.ok(!chunk.body.includes(ownTraceId(own.id)));
    assert.equal(chunk.body.split(own.id).length - 1, 2, "its id, and the joined one's shadowOf");
    assert.deepEqual([chunk.count, chunk.first_id, chunk.last_id], [2, own.id, joined.id]);
  });

  it("write times as small integers where that loses nothing, and any other number as it is", () => {
    const usual = act(T0, { durationMs: 0.312, billedMs: 1 });
    const late = { ...act(T0 + 5), startedAt: T0 + 6 };
    const odd = act(T0 + 7, { startedAt: T0 + 7.25, durationMs: 1 / 3 });
    const [chunk] = packActivations([usual, late, odd]).chunks;
    assert.ok(chunk);
    const [format, ...rows] = JSON.parse(chunk.body) as [number, ...unknown[][]];
    assert.equal(format, FORMAT);
    assert.deepEqual(
      rows.map((r) => [r[1], r[2]]),
      [
        [0, 312],
        [1, 4000],
        [T0 + 7.25, 1 / 3],
      ],
    );
    assert.deepEqual(unpackChunk(chunk), [usual, late, odd]);
  });

  it("write a usual invocation as ten short values, and what is not usual after them", () => {
    // As the invoker records a request that started its own trace: span id and trace id derived from the id, the
    // span's start on spanClock's µs.
    const base = act(T0);
    const usual = {
      ...base,
      cpuMs: 0.654,
      spanId: ownSpanId(base.id),
      parentSpanId: null,
      spanStartedAt: T0 + 0.137,
      httpMethod: "GET",
      httpPath: "/",
    };
    const cold = act(T0 + 1, { cold: true });
    const odd = act(T0 + 2, { status: "error", logsDropped: 3, parentSpanId: "2".repeat(16), spanId: "3".repeat(16) });
    odd.spanStartedAt = T0 + 2.000_4;
    const [chunk] = packActivations([usual, cold, odd]).chunks;
    assert.ok(chunk);
    const [, ...rows] = JSON.parse(chunk.body) as [number, ...unknown[][]];
    assert.deepEqual(rows[0], [base.id, 0, 4000, 4, 128, 654, 200, "GET", "/", 137]);
    // No span at all (0), as activations recorded before Pave kept one; cold the only other thing said.
    assert.deepEqual(rows[1], [
      cold.id,
      0,
      4000,
      4,
      128,
      null,
      200,
      null,
      null,
      null,
      null,
      null,
      null,
      1,
      ...Array(5).fill(null),
      0,
    ]);
    assert.deepEqual(rows[2]?.slice(10), [
      null,
      null,
      "error",
      null,
      null,
      null,
      3,
      null,
      null,
      "3".repeat(16),
      "2".repeat(16),
    ]);
    assert.deepEqual(unpackChunk(chunk), [usual, cold, odd]);
  });

  it("read bodies of format 1, a bare array of every field", () => {
    const id = "01a21863-b9ef-73dc-97e1-2942760ae88a";
    const row = [id, 1, 2098, 3, 128, "success", null, null, 200, 0, null, null, 0, 0.654, null, [], null, null];
    const body = JSON.stringify([[...row, "de9417b69b0a9b94", null, 1795705518576.8386, "GET", "/"]]);
    const [a] = unpackChunk({ env: "prod", function: "f", version: "v", trigger: "http", body });
    const expected = activationAt(idTime(id) + 1, {
      id,
      function: "f",
      version: "v",
      durationMs: 2.098,
      billedMs: 3,
      traceId: ownTraceId(id),
      correlationId: id,
      cpuMs: 0.654,
      gbSeconds: (128 / 1024) * (3 / 1000),
      spanId: "de9417b69b0a9b94",
      parentSpanId: null,
      spanStartedAt: 1795705518576.8386,
      httpMethod: "GET",
      httpPath: "/",
    });
    assert.deepEqual(a, expected);
  });

  it("split a batch by key, by size and by span, so an id's chunk ends within CHUNK_SPAN_MS of it", () => {
    const many = Array.from({ length: CHUNK_MAX_ROWS * 2 + 1 }, (_, i) => act(T0 + i));
    const bySize = packActivations(many).chunks;
    assert.deepEqual(
      bySize.map((c) => c.count),
      [CHUNK_MAX_ROWS, CHUNK_MAX_ROWS, 1],
    );
    const other = act(T0, { function: "other" });
    const far = act(T0 + CHUNK_SPAN_MS + 5000);
    const { chunks } = packActivations([...many.slice(0, 500), far, other, ...many.slice(500, 600)]);
    assert.deepEqual(
      chunks.map((c) => [c.function, c.count]),
      [
        ["fn", 500],
        ["fn", 1],
        ["other", 1],
        ["fn", 100],
      ],
    );
    for (const c of chunks) assert.ok(idTime(c.last_id) - idTime(c.first_id) <= CHUNK_SPAN_MS);
    assert.throws(() => packActivations([act(T0, { id: "not-a-uuid" })]), /not a UUIDv7/);
  });

  it("are deleted by retention in batches of about 5000 records, at least one chunk", () => {
    const counts = (xs: number[]) => pruneBatch(xs.map((count) => ({ count }))).map((c) => c.count);
    assert.deepEqual(counts([3000, 2000, 1]), [3000, 2000]);
    assert.deepEqual(counts([9000, 1]), [9000]);
    assert.deepEqual(counts(Array(6000).fill(1)).length, 5000);
    assert.deepEqual(counts([]), []);
  });
});

describe("log chunks", () => {
  const a = act(T0);
  const b = act(T0 + 1, { function: "other", correlationId: "c-1" });
  const line = (x: typeof a, message: string, level: "info" | "error" = "info") => ({
    activationId: x.id,
    env: x.env,
    function: x.function,
    version: x.version,
    ts: x.startedAt,
    level,
    message,
    fields: message === "a2" ? { k: [1, "two"] } : null,
    traceId: x.traceId,
    correlationId: x.correlationId,
  });

  it("number a batch's lines across its chunks, and round-trip them", () => {
    const lines = [line(a, "a1"), line(b, "b1", "error"), line(a, "a2")];
    const { chunks, starts } = packLogLines(lines);
    assert.deepEqual(starts, [true, false]);
    assert.deepEqual(
      chunks.map((c) => [c.function, c.count, c.levels]),
      [
        ["fn", 2, 2],
        ["other", 1, 8],
      ],
    );
    const batch = 7;
    const back = chunks.flatMap((c) => unpackLogChunk({ ...c, batch }));
    assert.deepEqual(
      back.sort((x, y) => (x.id as number) - (y.id as number)),
      lines.map((l, i) => ({ ...l, id: batch * BATCH_LINES + i })),
    );
  });

  it("write a line's time after its activation's, unless it is fractional or the id is not a UUIDv7", () => {
    const lines = [
      { ...line(a, "whole"), ts: T0 + 3 },
      { ...line(a, "fraction"), ts: T0 + 3.5 },
      { ...line(a, "old id"), activationId: "not-a-uuid", ts: T0 },
    ];
    const { chunks } = packLogLines(lines);
    const [, ...rows] = JSON.parse(chunks[0]?.body ?? "[]") as [number, ...unknown[][]];
    assert.deepEqual(
      rows.map((r) => r[2]),
      [3, T0 + 3.5, T0],
    );
    assert.deepEqual(
      chunks.flatMap((c) => unpackLogChunk({ ...c, batch: 1 })).map(({ id: _, ...l }) => l),
      lines,
    );
  });

  it("write a line's level as a number, and its version only where it changes", () => {
    const next = { ...act(T0 + 1), version: "v2" };
    const lines = [line(a, "one"), line(a, "a2"), line(next, "two", "error"), line(next, "three")];
    const { chunks } = packLogLines(lines);
    const [, ...rows] = JSON.parse(chunks[0]?.body ?? "[]") as [number, ...unknown[][]];
    assert.deepEqual(rows, [
      [0, a.id, 0, 1, "one", null, "v1"],
      [1, a.id, 0, 1, "a2", { k: [1, "two"] }],
      [2, next.id, 0, 3, "two", null, "v2"],
      [3, next.id, 0, 1, "three"],
    ]);
    assert.deepEqual(
      chunks.flatMap((c) => unpackLogChunk({ ...c, batch: 0 })).map(({ id: _, ...l }) => l),
      lines,
    );
    // Retention's rewrite of what is left keeps the versions.
    const { rest } = pruneLogChunk(chunks[0]?.body ?? "", (id) => id === a.id);
    assert.deepEqual(
      unpackLogChunk({ batch: 0, env: "prod", function: "fn", body: rest?.body ?? "" }).map((l) => l.version),
      ["v2", "v2"],
    );
  });

  it("read bodies of format 1, and rewrite them in the current one when retention cuts them", () => {
    const id = "01a21863-b9ef-73dc-97e1-2942760ae88a";
    const later = "01a21864-0000-7000-8000-000000000000";
    const body = JSON.stringify([
      [0, id, "c72f", 3, "info", "hello", { method: "GET" }, null, null],
      [1, later, "c72f", 0, "warn", "late", null, "t".repeat(32), "corr"],
    ]);
    const lines = unpackLogChunk({ batch: 2, env: "prod", function: "f", body });
    assert.deepEqual(lines[0], {
      id: 2 * BATCH_LINES,
      activationId: id,
      env: "prod",
      function: "f",
      version: "c72f",
      ts: idTime(id) + 3,
      level: "info",
      message: "hello",
      fields: { method: "GET" },
      traceId: ownTraceId(id),
      correlationId: id,
    });
    const { rest } = pruneLogChunk(body, (x) => x === id);
    assert.equal(JSON.parse(rest?.body ?? "")[0], FORMAT);
    assert.deepEqual(unpackLogChunk({ batch: 2, env: "prod", function: "f", body: rest?.body ?? "" }), [lines[1]]);
  });

  it("keep the ids of the lines retention leaves in a chunk", () => {
    const later = act(T0 + 2);
    const { chunks } = packLogLines([line(a, "a1"), line(later, "l1", "error"), line(a, "a2"), line(later, "l2")]);
    const [chunk] = chunks;
    assert.ok(chunk && chunks.length === 1);
    const { rest, removed } = pruneLogChunk(chunk.body, (id) => id < later.id);
    assert.equal(removed, 2);
    assert.ok(rest);
    assert.deepEqual(
      [rest.count, rest.first_activation, rest.last_activation, rest.levels],
      [2, later.id, later.id, 10],
    );
    const left = unpackLogChunk({ batch: 3, env: "prod", function: "fn", body: rest.body });
    assert.deepEqual(
      left.map((l) => [l.message, l.id]),
      [
        ["l1", 3 * BATCH_LINES + 1],
        ["l2", 3 * BATCH_LINES + 3],
      ],
    );
    assert.deepEqual(
      pruneLogChunk(chunk.body, () => true),
      { rest: undefined, removed: 4 },
    );
  });
});

describe("chunk bodies as bytes", () => {
  it("hold exactly the JSON array of what was pushed, across encodes and growth, whatever the characters", () => {
    const values: unknown[] = [];
    for (let i = 0; i < 300; i++) {
      values.push([i, `ü${"€".repeat(i % 7)}😀`, { quote: 'a "b"\\', nul: "\0", lone: "\ud800" }, i % 3 ? null : 1.5]);
    }
    // Two bytes to start with: every push outgrows it at first, and 300 values take several encodes of 64.
    const bytes = new JsonArrayBytes(undefined, 2);
    for (const v of values) bytes.push(v);
    assert.equal(bytes.count, 300);
    const text = bytes.finish().toString("utf8");
    assert.equal(text, JSON.stringify(values));
  });

  it("of nothing is an empty array, or the format alone", () => {
    assert.equal(new JsonArrayBytes().finish().toString("utf8"), "[]");
    assert.equal(new JsonArrayBytes(FORMAT).finish().toString("utf8"), `[${FORMAT}]`);
    const withFormat = new JsonArrayBytes(FORMAT, 2);
    for (let i = 0; i < 100; i++) withFormat.push([i, "x"]);
    assert.deepEqual(JSON.parse(withFormat.finish().toString("utf8")), [
      FORMAT,
      ...Array.from({ length: 100 }, (_, i) => [i, "x"]),
    ]);
  });
});
