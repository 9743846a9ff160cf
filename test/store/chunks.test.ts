// How activations and their log lines are packed into chunks (activation-chunks.ts): where a batch is split, what is
// derived rather than stored, and that unpacking gives back exactly what was packed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { v7 } from "uuid";
import {
  CHUNK_MAX_BYTES,
  CHUNK_MAX_ROWS,
  CHUNK_SPAN_MS,
  type ChunkRow,
  chunkLines,
  FORMAT,
  idTime,
  LINE_ID_BASE,
  LINE_SLOTS,
  ownSpanId,
  ownTraceId,
  packActivations,
  pruneChunk,
  unpackChunk,
} from "../../src/store/activation-chunks.ts";
import { JsonArrayBytes } from "../../src/store/json-bytes.ts";
import { pruneBatch } from "../../src/store/kysely-activations.ts";
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
      // No lines.
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

describe("log lines in their activations' rows", () => {
  const a = act(T0);
  const b = act(T0 + 1, { correlationId: "c-1" });
  const line = (x: typeof a, message: string, level: "info" | "error" = "info", ts = x.startedAt) => ({
    activationId: x.id,
    env: x.env,
    function: x.function,
    version: x.version,
    ts,
    level,
    message,
    fields: message === "a2" ? { k: [1, "two"] } : null,
    traceId: x.traceId,
    correlationId: x.correlationId,
  });
  const bodyRows = (body: string | undefined) => (JSON.parse(body ?? "[]") as unknown[]).slice(1) as unknown[][];

  it("round-trip, numbered by their chunk's id and place, the chunk's columns summing them", () => {
    const lines = [line(a, "a1"), line(b, "b1", "error", T0 + 7), line(a, "a2", "info", T0 + 3)];
    const [chunk] = packActivations([a, b], lines).chunks;
    assert.ok(chunk);
    assert.deepEqual([chunk.lines, chunk.levels, chunk.first_line_ts, chunk.last_line_ts], [3, 2 | 8, T0, T0 + 7]);
    // An activation's lines are together, in its row: a1 and a2, then b1.
    const at = (place: number) => LINE_ID_BASE + 7 * LINE_SLOTS + place;
    assert.deepEqual(chunkLines({ ...chunk, id: 7 }), [
      { ...lines[0], id: at(0) },
      { ...lines[2], id: at(1) },
      { ...lines[1], id: at(2) },
    ]);
    assert.deepEqual(chunkLines({ ...chunk, id: 7 }, b.id), [{ ...lines[1], id: at(2) }]);
    assert.deepEqual(unpackChunk(chunk), [a, b]);
    const [, none] = packActivations([a], []).chunks.concat(packActivations([a], []).chunks);
    assert.deepEqual([none?.lines, none?.levels, none?.first_line_ts, none?.last_line_ts], [0, 0, 0, 0]);
  });

  it("are written as [time after the id's, level, message, fields?], after the usual ten and before the rare", () => {
    // Usual: a span of its own, as the invoker records one.
    const usual = (at: number) => {
      const x = act(at);
      return { ...x, spanId: ownSpanId(x.id), parentSpanId: null, spanStartedAt: x.startedAt };
    };
    const [a, quiet] = [usual(T0), usual(T0 + 4)];
    const rare = act(T0 + 2, { cold: true });
    const lines = [line(a, "whole", "info", T0 + 3), line(a, "fraction", "info", T0 + 3.5), line(a, "a2")];
    const [chunk] = packActivations([a, rare, quiet], [...lines, line(rare, "cold one", "error")]).chunks;
    const rows = bodyRows(chunk?.body);
    assert.equal(JSON.parse(chunk?.body ?? "")[0], FORMAT);
    assert.deepEqual(rows[0]?.[10], [
      [3, 1, "whole"],
      [T0 + 3.5, 1, "fraction"],
      [0, 1, "a2", { k: [1, "two"] }],
    ]);
    assert.equal(rows[0]?.length, 11);
    assert.deepEqual(rows[1]?.slice(10, 15), [[[0, 3, "cold one"]], null, null, null, 1]);
    // A rare row without lines keeps their place, null; a usual one without lines ends at ten.
    assert.equal(bodyRows(packActivations([rare]).chunks[0]?.body)[0]?.[10], null);
    assert.equal(rows[2]?.length, 10);
    assert.deepEqual(unpackChunk(chunk as ChunkRow), [a, rare, quiet]);
  });

  it("past LINE_SLOTS in a chunk start another; an activation's own lines past it are dropped and counted", () => {
    const many = (x: typeof a, n: number) => Array.from({ length: n }, (_, i) => line(x, `${i}`));
    const half = LINE_SLOTS / 2 + 1;
    const chunks = packActivations([a, b], [...many(a, half), ...many(b, half)]).chunks;
    assert.deepEqual(
      chunks.map((c) => [c.count, c.lines]),
      [
        [1, half],
        [1, half],
      ],
    );
    const [huge] = packActivations([a], many(a, LINE_SLOTS + 5)).chunks;
    assert.equal(huge?.lines, LINE_SLOTS);
    assert.equal(unpackChunk(huge as ChunkRow)[0]?.logsDropped, 5);
  });

  it("past about CHUNK_MAX_BYTES in a chunk start another, so a lookup decodes a bounded body", () => {
    const big = Array.from({ length: 40 }, (_, i) => act(T0 + i));
    const chunks = packActivations(
      big,
      big.flatMap((x) => Array.from({ length: 10 }, () => line(x, "x".repeat(8000)))),
    ).chunks;
    assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
    for (const c of chunks) assert.ok(c.body.length < CHUNK_MAX_BYTES + 100_000, `${c.body.length} bytes`);
    assert.deepEqual(
      chunks.flatMap((c) => unpackChunk(c)),
      big,
    );
  });

  it("keep their ids when retention removes activations before or between theirs", () => {
    const later = act(T0 + 2);
    const [chunk] = packActivations(
      [a, later, b],
      [line(a, "a1"), line(later, "l1", "error"), line(a, "a2"), line(later, "l2"), line(b, "b1")],
    ).chunks;
    assert.ok(chunk);
    const before = chunkLines({ ...chunk, id: 3 });
    const { rest, removed, linesRemoved } = pruneChunk(chunk, (id) => id !== later.id);
    assert.deepEqual([removed, linesRemoved], [2, 3]);
    assert.ok(rest);
    assert.deepEqual(
      [rest.count, rest.first_id, rest.last_id, rest.lines, rest.levels, rest.first_line_ts, rest.last_line_ts],
      [1, later.id, later.id, 2, 10, later.startedAt, later.startedAt],
    );
    const left = chunkLines({ ...chunk, ...rest, id: 3 });
    assert.deepEqual(left, [before[2], before[3]]);
    assert.deepEqual(unpackChunk({ ...chunk, ...rest }), [later]);
    // Cut again, what is left keeps its place behind the gaps.
    const again = pruneChunk({ ...chunk, ...rest }, () => false);
    assert.deepEqual(chunkLines({ ...chunk, ...(again.rest as object), id: 3 }), left);
    assert.deepEqual(
      pruneChunk(chunk, () => true),
      { rest: undefined, removed: 3, linesRemoved: 5 },
    );
  });

  it("are none in a chunk of format 2, whose rows are read with their rare part at 10", () => {
    const id = "01a21863-b9ef-73dc-97e1-2942760ae88a";
    const key = { env: "prod", function: "f", version: "v", trigger: "http" };
    const body = JSON.stringify([2, [id, 0, 1500, 2, 128, null, 200, "GET", "/", null, "Boom", "it broke"]]);
    const [old] = unpackChunk({ ...key, body });
    assert.deepEqual(
      [old?.errorCode, old?.errorMessage, old?.status, old?.durationMs],
      ["Boom", "it broke", "error", 1.5],
    );
    assert.deepEqual(chunkLines({ ...key, id: 1, body }), []);
    const { rest } = pruneChunk({ ...key, body }, () => false);
    assert.equal(JSON.parse(rest?.body ?? "")[0], FORMAT);
    assert.deepEqual(unpackChunk({ ...key, body: rest?.body ?? "" }), [old]);
  });

  it("leave every activation retention keeps in a chunk of format 2, however large it is", () => {
    // Rows larger together than CHUNK_MAX_BYTES: packed into chunks anew, they would be split and all but one lost.
    const key = { env: "prod", function: "f", version: "v", trigger: "http" };
    const ids = Array.from({ length: 4 }, (_, i) => v7({ msecs: T0 + i }));
    const big = "e".repeat(CHUNK_MAX_BYTES / 2);
    const body = JSON.stringify([
      2,
      ...ids.map((id) => [id, 0, 1500, 2, 128, null, 500, "GET", "/", null, "Boom", big]),
    ]);
    const all = unpackChunk({ ...key, body });
    const { rest, removed } = pruneChunk({ ...key, body }, (id) => id === ids[0]);
    assert.equal(removed, 1);
    assert.equal(rest?.count, 3);
    assert.deepEqual(unpackChunk({ ...key, body: rest?.body ?? "" }), all.slice(1));
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
