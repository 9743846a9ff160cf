// Percentile estimation from a rollup histogram, against answers worked out by hand and against exact percentiles
// of known samples (the estimate must stay inside the bucket the true value is in).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DURATION_BOUNDS_MS } from "../../src/store/index.ts";
import { addHistogram, estimatePercentile } from "../../src/telemetry/histogram.ts";

const BOUNDS = [1, 2, 5, 10];

describe("estimatePercentile", () => {
  it("interpolates linearly inside the bucket holding the rank", () => {
    // 100 durations in (2, 5]: the median is halfway, p90 nine tenths of the way.
    assert.equal(estimatePercentile([0, 0, 100, 0, 0], 0.5, BOUNDS), 3.5);
    assert.ok(Math.abs((estimatePercentile([0, 0, 100, 0, 0], 0.9, BOUNDS) ?? 0) - 4.7) < 1e-12);
    // Half in (0, 1], half in (5, 10]: p50 is the top of the first bucket, p99 near the top of the last.
    const split = [50, 0, 0, 50, 0];
    assert.equal(estimatePercentile(split, 0.5, BOUNDS), 1);
    assert.equal(estimatePercentile(split, 0.99, BOUNDS), 5 + (5 * 49) / 50);
    assert.equal(estimatePercentile(split, 1, BOUNDS), 10);
    assert.equal(estimatePercentile(split, 0, BOUNDS), 0);
  });

  it("skips empty buckets and answers the last bound for the overflow bucket", () => {
    assert.equal(estimatePercentile([0, 0, 0, 0, 3], 0.5, BOUNDS), 10);
    assert.equal(estimatePercentile([0, 4, 0, 0, 0], 0.25, BOUNDS), 1.25);
    assert.equal(estimatePercentile([1, 0, 0, 0, 1], 0.99, BOUNDS), 10);
  });

  it("is null for an empty histogram", () => {
    assert.equal(estimatePercentile([0, 0, 0, 0, 0], 0.5, BOUNDS), null);
    assert.equal(estimatePercentile([], 0.5, BOUNDS), null);
  });

  it("lands in the true value's bucket for real samples over the rollup bounds", () => {
    // A skewed sample: mostly fast, a slow tail (exponential-ish), 10 000 values.
    const samples = Array.from({ length: 10_000 }, (_, i) => 0.2 + 40 * -Math.log(1 - (i + 0.5) / 10_000));
    const hist = new Array(DURATION_BOUNDS_MS.length + 1).fill(0);
    for (const s of samples) hist[DURATION_BOUNDS_MS.findIndex((b) => s <= b)]++;
    const sorted = [...samples].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1] as number;
      const estimate = estimatePercentile(hist, q) as number;
      const upper = DURATION_BOUNDS_MS.find((b) => exact <= b) as number;
      const lower = DURATION_BOUNDS_MS[DURATION_BOUNDS_MS.indexOf(upper) - 1] ?? 0;
      assert.ok(estimate >= lower && estimate <= upper, `p${q * 100}: ${estimate} outside (${lower}, ${upper}]`);
      assert.ok(Math.abs(estimate - exact) / exact < 0.25, `p${q * 100}: ${estimate} vs exact ${exact}`);
    }
  });
});

describe("addHistogram", () => {
  it("adds bucket by bucket", () => {
    const into = [1, 2, 3];
    addHistogram(into, [10, 0, 5]);
    assert.deepEqual(into, [11, 2, 8]);
  });
});
