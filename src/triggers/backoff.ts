// When a failed delivery is tried again: exponential backoff with jitter, capped; a handler's own
// `retry({ delaySeconds })` overrides it.

export interface BackoffPolicy {
  /** The first retry's delay, before jitter. @default 1000 */
  baseMs: number;
  /** No retry waits longer than this. @default 300000 */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 300_000 };

/**
 * The delay after the `attempts`-th failed delivery: min(cap, base·2^(attempts−1)), then "equal jitter" — half of it
 * fixed, half random — so retries of a batch that failed together spread out instead of returning as a herd, while
 * each still waits at least half its step.
 */
export function backoffMs(policy: BackoffPolicy, attempts: number, random: () => number = Math.random): number {
  const step = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(step / 2 + (step / 2) * random());
}
