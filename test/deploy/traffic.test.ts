// The traffic rules alone: percent parsing, split checks, sticky buckets and consistent assignment, and the line diff.
import assert from "node:assert/strict";
import { test } from "node:test";
import { diffLines } from "../../src/deploy/line-diff.ts";
import { BUCKETS, bucketOf, checkTarget, parsePercent, pick } from "../../src/deploy/traffic.ts";

test("percentages: 1–99 for a canary, 1–100 for a shadow, with a precise message", () => {
  assert.equal(parsePercent("10%", "canary"), 10);
  assert.equal(parsePercent(100, "shadow"), 100);
  for (const bad of ["0%", "100", "abc", "1.5", -3]) {
    assert.throws(() => parsePercent(bad, "canary"), { code: "BadRequest", message: /from 1 to 99/ });
  }
});

test("a split's weights are whole, each version once, summing to 100", () => {
  checkTarget({ split: [{ version: "a", weight: 100 }], shadow: null });
  assert.throws(() => checkTarget({ split: [{ version: "a", weight: 60 }], shadow: null }), /sum to 100/);
  assert.throws(
    () =>
      checkTarget({
        split: [
          { version: "a", weight: 50 },
          { version: "a", weight: 50 },
        ],
        shadow: null,
      }),
    /twice/,
  );
});

test("growing a canary keeps every bucket it had", () => {
  const at = (w: number) => [{ weight: 100 - w }, { weight: w }];
  for (let bucket = 0; bucket < BUCKETS; bucket += 7) {
    if (pick(at(10), bucket) === 1) assert.equal(pick(at(50), bucket), 1);
  }
  const keys = Array.from({ length: 2000 }, (_, i) => `k${i}`);
  const share = keys.filter((k) => pick(at(10), bucketOf("fn", k)) === 1).length / keys.length;
  assert.ok(share > 0.06 && share < 0.14, `share ${share}`);
  assert.equal(bucketOf("fn", "same"), bucketOf("fn", "same"));
});

test("the line diff reproduces both sides", () => {
  for (let n = 0; n < 200; n++) {
    const r = () => Array.from({ length: (n * 7) % 13 }, (_, i) => "abc"[(i * n + n) % 3] as string);
    const a = r();
    const b = r().reverse();
    const ops = diffLines(a, b);
    assert.deepEqual(
      ops.filter((o) => o.kind !== "+").map((o) => o.line),
      a,
    );
    assert.deepEqual(
      ops.filter((o) => o.kind !== "-").map((o) => o.line),
      b,
    );
  }
});
