// The canary decision, as a pure function of the figures: roll back on a breach (error rate or p99 against the
// baseline), step or promote once a step has baked healthy, else wait. Unit-tested with synthetic rollups.
import type { CanaryAnalysis, CanaryFigures, CanaryRecord, RollupSum } from "../store/index.ts";
import { MINUTE_MS } from "../store/index.ts";
import { addHistogram, estimatePercentile } from "../telemetry/index.ts";

/**
 * A p99 rise smaller than this (ms) is never a breach, whatever the ratio: isolates answer in about a millisecond,
 * where the histogram's interpolation alone moves a percentile by more than 20%.
 */
export const P99_FLOOR_MS = 5;

/**
 * p99 is judged only over at least this many canary requests (and minRequests): each new instance's cold start is
 * one slow request, and over fewer requests a couple of them would be the 99th percentile by themselves.
 */
export const P99_MIN_REQUESTS = 200;

/**
 * A canary failing this plainly is rolled back at once, before it has `minRequests`: at least a fifth of
 * `minRequests` errors (and one) at an error rate of 50% or more. A broken version then costs seconds, not a window.
 */
export const FAST_BREACH_RATE = 0.5;

export type CanaryState = Pick<CanaryRecord, "steps" | "step" | "stepStartedAt" | "policy">;

/** Sums rollup rows into one side's figures; p99 from the merged duration histogram. */
export function figuresOf(rows: readonly RollupSum[]): CanaryFigures {
  let requests = 0;
  let errors = 0;
  const histogram: number[] = [];
  for (const r of rows) {
    requests += r.count;
    errors += r.errors;
    addHistogram(histogram, r.histogram);
  }
  return {
    requests,
    errors,
    errorRate: requests === 0 ? 0 : errors / requests,
    p99Ms: estimatePercentile(histogram, 0.99),
  };
}

/**
 * Where an analysis at `now` starts reading: `window` back, never before the step began, widened to the start of
 * its minute (rollups are per minute, so a step's first minute may hold a little of the step before).
 */
export function analysisSince(c: CanaryState, now: number): number {
  const from = Math.max(c.stepStartedAt, now - c.policy.windowMs);
  return from - (from % MINUTE_MS);
}

const pct = (r: number) => `${(r * 100).toFixed(1)}%`;
const ms = (v: number) => `${v < 10 ? v.toFixed(2) : v.toFixed(0)} ms`;

/** What to do with a running canary, given both sides' figures over the window starting at `since`. */
export function decide(
  c: CanaryState,
  now: number,
  since: number,
  baseline: CanaryFigures,
  canary: CanaryFigures,
): CanaryAnalysis {
  const { policy } = c;
  const base = { at: now, since, baseline, canary };
  const errorLimit = baseline.errorRate + policy.maxErrorRateIncrease;
  const errorBreach = (): CanaryAnalysis => ({
    ...base,
    decision: "rollback",
    note:
      `error rate ${pct(canary.errorRate)} (${canary.errors} of ${canary.requests}) > baseline ` +
      `${pct(baseline.errorRate)} + ${pct(policy.maxErrorRateIncrease)}`,
    metric: "errorRate",
    canaryValue: canary.errorRate,
    baselineValue: baseline.errorRate,
    threshold: errorLimit,
  });
  const fastErrors = Math.max(1, Math.ceil(policy.minRequests / 5));
  if (canary.errors >= fastErrors && canary.errorRate >= FAST_BREACH_RATE && canary.errorRate > errorLimit) {
    return errorBreach();
  }
  const enough = canary.requests >= policy.minRequests;
  if (enough && canary.errorRate > errorLimit) return errorBreach();
  // Both p99s must rest on enough requests: the baseline's as many as the canary's must.
  const p99Requests = Math.max(policy.minRequests, P99_MIN_REQUESTS);
  if (
    canary.requests >= p99Requests &&
    baseline.requests >= p99Requests &&
    baseline.p99Ms !== null &&
    canary.p99Ms !== null
  ) {
    const limit = baseline.p99Ms * policy.maxP99Increase;
    if (canary.p99Ms > limit && canary.p99Ms - baseline.p99Ms > P99_FLOOR_MS) {
      return {
        ...base,
        decision: "rollback",
        note: `p99 ${ms(canary.p99Ms)} > ${policy.maxP99Increase} × baseline ${ms(baseline.p99Ms)} (${ms(limit)})`,
        metric: "p99",
        canaryValue: canary.p99Ms,
        baselineValue: baseline.p99Ms,
        threshold: limit,
      };
    }
  }
  const weight = c.steps[c.step] as number;
  const left = c.stepStartedAt + policy.bakeMs - now;
  if (left > 0) {
    return { ...base, decision: "wait", note: `baking at ${weight}%: ${Math.ceil(left / 1000)}s left` };
  }
  if (!enough) {
    return {
      ...base,
      decision: "wait",
      note: `not enough data at ${weight}%: ${canary.requests} of ${policy.minRequests} canary requests in the window`,
    };
  }
  const next = c.steps[c.step + 1];
  if (next === undefined || next >= 100) {
    return { ...base, decision: "promote", note: `healthy at ${weight}% for the whole bake: promoted to 100%` };
  }
  return { ...base, decision: "step", note: `healthy at ${weight}% for the whole bake: ${weight}% → ${next}%` };
}
