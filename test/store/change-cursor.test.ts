// The change log's cursor: a change whose seq was taken before another's but committed after it is still applied,
// once; nothing is applied twice across reads; what the node saw before it started is never applied.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChangeCursor, type ChangeRow } from "../../src/store/change-cursor.ts";

const row = (seq: number, at: number): ChangeRow => ({ seq, at, node: "a", payload: "{}" });
const seqs = (rows: ChangeRow[]) => rows.map((r) => r.seq);

describe("ChangeCursor", () => {
  it("hands out each row once, oldest seq first", () => {
    const c = new ChangeCursor(1000, 10_000);
    assert.deepEqual(seqs(c.take([row(2, 1001), row(1, 1001)])), [1, 2]);
    assert.deepEqual(seqs(c.take([row(1, 1001), row(2, 1001), row(3, 1002)])), [3]);
    assert.deepEqual(seqs(c.take([row(1, 1001), row(2, 1001), row(3, 1002)])), []);
  });

  it("applies a lower seq committed after a higher one was read", () => {
    const c = new ChangeCursor(1000, 10_000);
    // seq 5 was taken first but its transaction had not committed when 6 was read.
    assert.deepEqual(seqs(c.take([row(4, 1001), row(6, 1003)])), [4, 6]);
    assert.ok(c.since() <= 1002, "the next read still covers seq 5's time");
    assert.deepEqual(seqs(c.take([row(4, 1001), row(5, 1002), row(6, 1003)])), [5]);
  });

  it("skips what was in the log before the node started", () => {
    const c = new ChangeCursor(50_000, 10_000);
    assert.equal(c.since(), 40_000);
    c.skip([row(1, 41_000), row(2, 49_000)]);
    assert.deepEqual(seqs(c.take([row(1, 41_000), row(2, 49_000), row(3, 50_001)])), [3]);
  });

  it("forgets rows that slid out of the window, and reads no further back than it", () => {
    const c = new ChangeCursor(0, 1000);
    c.take([row(1, 100), row(2, 200)]);
    assert.equal(c.remembered, 2);
    c.take([row(3, 5000)]);
    assert.equal(c.since(), 4000);
    // Rows older than since() are not asked for again, so forgetting them cannot make them look new.
    assert.equal(c.remembered, 1);
    assert.deepEqual(seqs(c.take([row(3, 5000), row(4, 4500)])), [4]);
  });

  it("keeps its window where it was while no change arrives", () => {
    const c = new ChangeCursor(1000, 500);
    assert.deepEqual(seqs(c.take([])), []);
    assert.equal(c.since(), 500);
  });
});
