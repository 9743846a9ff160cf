// `pave canary status`'s readable block: both sides' figures, the step among the steps, the bake left, the policy,
// and each decision with why.
import assert from "node:assert/strict";
import { it } from "node:test";
import { renderCanary } from "../../src/cli/canary.ts";
import type { CanaryAnswer } from "../../src/client/index.ts";

const NOW = 1_700_000_100_000;
const answer = (over: Partial<CanaryAnswer["canary"]> = {}): CanaryAnswer => ({
  function: "checkout",
  env: "prod",
  canary: {
    baseline: "a1b2c3d4e5f6a7b8",
    canary: "f0e1d2c3b4a59687",
    status: "running",
    steps: [10, 50, 100],
    step: 1,
    weight: 50,
    policy: { bakeMs: 300_000, windowMs: 300_000, maxErrorRateIncrease: 0.01, maxP99Increase: 1.2, minRequests: 50 },
    startedAt: NOW - 400_000,
    startedBy: "alice",
    stepStartedAt: NOW - 100_000,
    bakeLeftMs: 200_000,
    updatedAt: NOW - 3000,
    analysis: {
      at: NOW - 3000,
      since: NOW - 100_000,
      baseline: { requests: 500, errors: 1, errorRate: 0.002, p99Ms: 2.5 },
      canary: { requests: 480, errors: 0, errorRate: 0, p99Ms: 2.75 },
      decision: "wait",
      note: "baking at 50%: 200s left",
    },
    reason: null,
    ...over,
  },
  decisions: [
    {
      at: NOW - 100_000,
      actor: "system",
      outcome: "ok",
      decision: "step",
      note: "healthy at 10% for the whole bake: 10% → 50%",
      metric: null,
      canaryValue: null,
      baselineValue: null,
      threshold: null,
      requests: 60,
    },
  ],
});

it("shows the step, bake left, both sides and the decisions", () => {
  const text = renderCanary(answer(), NOW);
  assert.match(text, /checkout \(prod\): canary f0e1d2c3b4a5 running at 50% of live \(step 2 of 3\)/);
  assert.match(text, /steps 10% → \[50%\] → 100%; started 6m ago by alice/);
  assert.match(text, /bake: 3m20s left at 50%/);
  assert.match(text, /error rate ≤ baseline \+ 1\.0%, p99 ≤ 1\.2 × baseline, judged after 50 requests/);
  assert.match(text, /baseline\s+a1b2c3d4e5f6\s+500\s+1\s+0\.2%\s+2\.5ms/);
  assert.match(text, /canary\s+f0e1d2c3b4a5\s+480\s+0\s+0\.0%\s+2\.8ms/);
  assert.match(text, /last analysis 3s ago .*: wait — baking at 50%: 200s left/);
  assert.match(text, /system {2}step — healthy at 10% for the whole bake: 10% → 50%/);
});

it("says how an ended canary ended and why", () => {
  const text = renderCanary(
    answer({ status: "rolled-back", weight: 0, bakeLeftMs: null, reason: "error rate 100.0% (12 of 12) > baseline" }),
    NOW,
  );
  assert.match(text, /canary f0e1d2c3b4a5 rolled-back: error rate 100\.0% \(12 of 12\) > baseline/);
  assert.doesNotMatch(text, /^bake:/m);
});
