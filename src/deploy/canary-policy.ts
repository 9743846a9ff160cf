// The manifest's `canary:` policy — how an analysed canary steps and when it is rolled back — as one zod schema with
// documented defaults, and the steps a `--canary N%` deploy goes through.
import { z } from "zod";
import type { CanaryPolicy } from "../store/index.ts";

/** `30s`, `5m`, `1h` or a number of seconds → ms, from 1 second to a day: bakes are longer than timeouts. */
const span = z
  .union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, "a duration like 30s, 5m or 1h")])
  .transform((v) => {
    if (typeof v === "number") return Math.round(v * 1000);
    const n = Number.parseFloat(v);
    const unit = v.endsWith("ms") ? 1 : v.endsWith("h") ? 3_600_000 : v.endsWith("m") ? 60_000 : 1000;
    return Math.round(n * unit);
  })
  .pipe(z.number().int().min(1000, "at least 1s").max(86_400_000, "at most 24h"));

/** The defaults, documented in docs/traffic.md and docs/manifest.md. */
export const CANARY_DEFAULTS = {
  steps: [10, 50, 100],
  bakeMs: 5 * 60_000,
  windowMs: 5 * 60_000,
  maxErrorRateIncrease: 0.01,
  maxP99Increase: 1.2,
  minRequests: 50,
} as const;

export const canaryPolicySchema = z.strictObject({
  /** Weights the canary goes through, whole percents increasing to 100 (the promotion). @default [10, 50, 100] */
  steps: z
    .array(z.number().int("a whole percent").min(1, "at least 1 (%)").max(100, "at most 100 (%)"))
    .min(1, "at least one step")
    .max(10, "at most 10 steps")
    .superRefine((steps, ctx) => {
      for (let i = 1; i < steps.length; i++) {
        if ((steps[i] as number) <= (steps[i - 1] as number)) {
          ctx.addIssue({ code: "custom", path: [i], message: `a step above the one before (${steps[i - 1]})` });
        }
      }
      if (steps.at(-1) !== 100) {
        ctx.addIssue({ code: "custom", path: [steps.length - 1], message: "100 as the last step (the promotion)" });
      }
    })
    .default([...CANARY_DEFAULTS.steps]),
  /** How long each step must stay healthy before the next. @default 5m */
  bake: span.default(CANARY_DEFAULTS.bakeMs),
  /** How far back each analysis looks (never before its step began). @default 5m */
  window: span.default(CANARY_DEFAULTS.windowMs),
  /** Most the canary's error rate may exceed the baseline's, absolute: 0.01 is one percentage point. @default 0.01 */
  maxErrorRateIncrease: z
    .number()
    .min(0, "at least 0")
    .max(1, "at most 1 (a rate: 0.01 is one point)")
    .default(CANARY_DEFAULTS.maxErrorRateIncrease),
  /** Most the canary's p99 may be as a multiple of the baseline's: 1.2 allows 20% slower. @default 1.2 */
  maxP99Increase: z
    .number()
    .min(1, "at least 1 (a ratio to the baseline's p99)")
    .max(100, "at most 100")
    .default(CANARY_DEFAULTS.maxP99Increase),
  /** Canary requests in the window before it may be judged on rates or called healthy. @default 50 */
  minRequests: z
    .number()
    .int("a whole number")
    .min(1, "at least 1")
    .max(1_000_000, "at most 1000000")
    .default(CANARY_DEFAULTS.minRequests),
});

export type CanaryPolicyInput = z.input<typeof canaryPolicySchema>;
export type CanaryPolicySpec = z.output<typeof canaryPolicySchema>;

/**
 * What a canary deploy at `start`% runs under: the policy of the manifest's `canary:` (defaults without one), and
 * its steps from `start` on — the given share, then the manifest's steps above it (10% with [10, 50, 100] is
 * 10 → 50 → 100; 5% is 5 → 10 → 50 → 100).
 */
export function canaryPlan(
  spec: CanaryPolicySpec | undefined,
  start: number,
): { steps: number[]; policy: CanaryPolicy } {
  const s = spec ?? canaryPolicySchema.parse({});
  return {
    steps: [start, ...s.steps.filter((w) => w > start)],
    policy: {
      bakeMs: s.bake,
      windowMs: s.window,
      maxErrorRateIncrease: s.maxErrorRateIncrease,
      maxP99Increase: s.maxP99Increase,
      minRequests: s.minRequests,
    },
  };
}
