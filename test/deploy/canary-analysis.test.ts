// The canary decision with synthetic rollups: breach by errors (fast and by rate), by p99, not enough data, baking,
// a healthy bake stepping on, the last step promoting — and the policy's validation and steps.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analysisSince, type CanaryState, decide, figuresOf } from "../../src/deploy/canary-analysis.ts";
import { canaryPlan, canaryPolicySchema } from "../../src/deploy/canary-policy.ts";
import { validateManifest } from "../../src/deploy/index.ts";
import { DURATION_BOUNDS_MS, MINUTE_MS, type RollupSum } from "../../src/store/index.ts";

const T0 = 1_700_000_040_000;
const policy = { bakeMs: 300_000, windowMs: 300_000, maxErrorRateIncrease: 0.01, maxP99Increase: 1.2, minRequests: 50 };
const state = (over: Partial<CanaryState> = {}): CanaryState => ({
  steps: [10, 50, 100],
  step: 0,
  stepStartedAt: T0,
  policy,
  ...over,
});

/** A minute's rollup: `count` requests, `errors` of them failed, all taking about `ms`. */
function rollup(count: number, errors: number, ms: number): RollupSum {
  const histogram = new Array<number>(DURATION_BOUNDS_MS.length + 1).fill(0);
  const bucket = DURATION_BOUNDS_MS.findIndex((b) => ms <= b);
  histogram[bucket === -1 ? DURATION_BOUNDS_MS.length : bucket] = count;
  return {
    function: "fn",
    start: T0,
    count,
    errors,
    coldStarts: 0,
    throttles: 0,
    durationMs: count * ms,
    billedMs: count * ms,
    gbSeconds: 0,
    histogram,
  };
}
const figures = (count: number, errors: number, ms = 2) => figuresOf([rollup(count, errors, ms)]);

describe("canary decision", () => {
  it("figures sum rows: requests, errors, rate and a p99 from the histogram", () => {
    const f = figuresOf([rollup(90, 0, 2), rollup(10, 5, 2)]);
    assert.deepEqual([f.requests, f.errors, f.errorRate], [100, 5, 0.05]);
    assert.ok(f.p99Ms !== null && f.p99Ms > 1.5 && f.p99Ms <= 2);
    assert.deepEqual(figuresOf([]), { requests: 0, errors: 0, errorRate: 0, p99Ms: null });
  });

  it("rolls back at once when the canary fails plainly, before it has minRequests", () => {
    const d = decide(state(), T0 + 5000, T0, figures(90, 0), figures(10, 10));
    assert.equal(d.decision, "rollback");
    assert.equal(d.metric, "errorRate");
    assert.deepEqual([d.canaryValue, d.baselineValue, d.threshold], [1, 0, 0.01]);
    assert.match(d.note, /error rate 100\.0% \(10 of 10\) > baseline 0\.0% \+ 1\.0%/);
    // Too few errors for the fast path: wait for more.
    assert.equal(decide(state(), T0 + 5000, T0, figures(90, 0), figures(9, 9)).decision, "wait");
  });

  it("rolls back on a rate breach with minRequests, and not within the allowed increase", () => {
    const breach = decide(state(), T0 + 5000, T0, figures(900, 9), figures(100, 5));
    assert.equal(breach.decision, "rollback");
    assert.equal(breach.metric, "errorRate");
    assert.equal(breach.threshold, 0.02);
    assert.equal(decide(state(), T0 + 5000, T0, figures(900, 9), figures(100, 2)).decision, "wait");
  });

  it("rolls back on p99 above the ratio, but not for a rise under the floor nor over few requests", () => {
    const slow = decide(state(), T0 + 5000, T0, figures(900, 0, 20), figures(300, 0, 200));
    assert.equal(slow.decision, "rollback");
    assert.equal(slow.metric, "p99");
    assert.ok((slow.canaryValue as number) > (slow.threshold as number));
    assert.match(slow.note, /p99 .* > 1\.2 × baseline/);
    // 0.5 ms → 2 ms is four times slower but under P99_FLOOR_MS: noise at this scale.
    assert.equal(decide(state(), T0 + 5000, T0, figures(900, 0, 0.5), figures(300, 0, 2)).decision, "wait");
    // Either side with too few requests to vouch for its p99 (cold starts would be it) is not compared.
    assert.equal(decide(state(), T0 + 5000, T0, figures(100, 0, 20), figures(300, 0, 200)).decision, "wait");
    assert.equal(decide(state(), T0 + 5000, T0, figures(900, 0, 20), figures(150, 0, 200)).decision, "wait");
  });

  it("waits while baking, and for enough data once baked", () => {
    const baking = decide(state(), T0 + 60_000, T0, figures(900, 0), figures(100, 0));
    assert.equal(baking.decision, "wait");
    assert.match(baking.note, /baking at 10%: 240s left/);
    const thin = decide(state(), T0 + 300_000, T0, figures(900, 0), figures(20, 0));
    assert.equal(thin.decision, "wait");
    assert.match(thin.note, /not enough data at 10%: 20 of 50/);
  });

  it("steps on after a healthy bake, and promotes from the step before 100", () => {
    const step = decide(state(), T0 + 300_000, T0, figures(900, 1), figures(100, 1));
    assert.equal(step.decision, "step");
    assert.match(step.note, /10% → 50%/);
    const promote = decide(state({ step: 1 }), T0 + 300_000, T0, figures(500, 0), figures(500, 0));
    assert.equal(promote.decision, "promote");
  });

  it("reads from the step's start or the window, whichever is later, widened to its minute", () => {
    const s = state({ stepStartedAt: T0 });
    assert.equal(analysisSince(s, T0 + 10_000), T0 - (T0 % MINUTE_MS));
    const late = T0 + 3_600_000;
    assert.equal(analysisSince(s, late), late - 300_000 - ((late - 300_000) % MINUTE_MS));
  });
});

describe("canary policy", () => {
  it("has documented defaults, and a --canary share starts the steps", () => {
    assert.deepEqual(canaryPlan(undefined, 10), {
      steps: [10, 50, 100],
      policy: { bakeMs: 300_000, windowMs: 300_000, maxErrorRateIncrease: 0.01, maxP99Increase: 1.2, minRequests: 50 },
    });
    assert.deepEqual(canaryPlan(undefined, 5).steps, [5, 10, 50, 100]);
    assert.deepEqual(canaryPlan(undefined, 60).steps, [60, 100]);
    const spec = canaryPolicySchema.parse({ steps: [25, 100], bake: "10s", window: 30, minRequests: 5 });
    assert.deepEqual(canaryPlan(spec, 25), {
      steps: [25, 100],
      policy: { bakeMs: 10_000, windowMs: 30_000, maxErrorRateIncrease: 0.01, maxP99Increase: 1.2, minRequests: 5 },
    });
  });

  it("refuses bad policies with the key and what was expected", () => {
    const bad = (canary: unknown, message: RegExp) =>
      assert.throws(
        () => validateManifest({ name: "fn", canary }),
        (err: Error & { code: string }) => {
          assert.equal(err.code, "InvalidManifest");
          assert.match(err.message, message);
          return true;
        },
      );
    bad({ steps: [10, 50] }, /canary\.steps\.1: expected 100 as the last step/);
    bad({ steps: [50, 10, 100] }, /canary\.steps\.1: expected a step above the one before \(50\)/);
    bad({ steps: [10.5, 100] }, /canary\.steps\.0/);
    bad({ bake: "forever" }, /canary\.bake: expected a duration like 30s, 5m or 1h/);
    bad({ window: "2d" }, /canary\.window/);
    bad({ maxP99Increase: 0.5 }, /canary\.maxP99Increase: expected at least 1/);
    bad({ maxErrorRateIncrease: 5 }, /canary\.maxErrorRateIncrease: expected at most 1/);
    bad({ minRequests: 0 }, /canary\.minRequests: expected at least 1/);
    bad({ step: [10] }, /canary\.step: unknown key; expected one of steps, bake, window/);
    assert.equal(validateManifest({ name: "fn" }).canary, undefined, "absent stays absent: the content hash holds");
  });
});
