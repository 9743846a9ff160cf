// The duration histogram every rollup row carries: fixed bucket bounds, the columns that hold their counts, and the
// aggregation of an activation batch into rollup rows (what the store upserts with the batch).
import type { Activation, RollupRow } from "./types.ts";

/**
 * Upper bounds (ms, inclusive) of the duration buckets; one more bucket above the last holds everything slower.
 * A 1-1.5-2-3-5-7 series, about six per decade from 0.1 ms to 60 s: isolates answer in well under a millisecond, and
 * with neighbouring bounds at most ~1.7× apart a percentile interpolated within its bucket stays within tens of percent
 * of the truth at any scale. Fixed forever: rows written under other bounds could not be added up (a change is a
 * migration that adds columns).
 */
export const DURATION_BOUNDS_MS: readonly number[] = [
  0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1000, 1500, 2000, 3000,
  5000, 7000, 10_000, 15_000, 20_000, 30_000, 60_000,
];

/** How many buckets a histogram has: one per bound, plus the overflow. */
export const BUCKET_COUNT = DURATION_BOUNDS_MS.length + 1;

/** The column of each bucket (`h0` … `h32`), in bound order. */
export const HISTOGRAM_COLUMNS: readonly `h${number}`[] = Array.from(
  { length: BUCKET_COUNT },
  (_, i) => `h${i}` as const,
);

/** The width of one rollup row: a minute. */
export const MINUTE_MS = 60_000;

/** Error codes that mean the invocation was refused for want of room, not run: counted as throttles. */
const THROTTLE_CODES = new Set(["Throttled", "CapacityExceeded"]);

/** Which bucket a duration falls in: the first whose bound is at or above it (binary search over 32 bounds). */
export function bucketOf(durationMs: number): number {
  let lo = 0;
  let hi = DURATION_BOUNDS_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (durationMs <= (DURATION_BOUNDS_MS[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Sums a batch per (env, function, version, minute) as its activations come, so the store writes one upsert per key,
 * however many activations share it.
 */
export class RollupSums {
  readonly #rows = new Map<string, RollupRow>();
  #last: RollupRow | undefined;

  add(a: Activation): void {
    const minute = a.startedAt - (a.startedAt % MINUTE_MS);
    // Most of a batch is one key after another of the same: the last row is tried before building a key.
    const last = this.#last;
    let row =
      last !== undefined &&
      last.start === minute &&
      last.env === a.env &&
      last.function === a.function &&
      last.version === a.version
        ? last
        : this.#rows.get(`${a.env}\0${a.function}\0${a.version}\0${minute}`);
    if (!row) {
      row = {
        env: a.env,
        function: a.function,
        version: a.version,
        start: minute,
        count: 0,
        errors: 0,
        coldStarts: 0,
        throttles: 0,
        durationMs: 0,
        billedMs: 0,
        gbSeconds: 0,
        histogram: new Array<number>(BUCKET_COUNT).fill(0),
      };
      this.#rows.set(`${a.env}\0${a.function}\0${a.version}\0${minute}`, row);
    }
    this.#last = row;
    row.count++;
    if (a.status === "error") row.errors++;
    if (a.cold) row.coldStarts++;
    if (a.errorCode !== null && THROTTLE_CODES.has(a.errorCode)) row.throttles++;
    row.durationMs += a.durationMs;
    row.billedMs += a.billedMs;
    row.gbSeconds += a.gbSeconds;
    // One refused before it ran (throttled, out of capacity, over budget: billed nothing) took no time: counted,
    // but kept out of the latency histogram, where its 0 ms would pull every percentile down.
    if (a.billedMs === 0) return;
    const b = bucketOf(a.durationMs);
    row.histogram[b] = (row.histogram[b] as number) + 1;
  }

  rows(): RollupRow[] {
    return [...this.#rows.values()];
  }
}
