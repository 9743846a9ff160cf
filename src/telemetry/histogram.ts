// Percentiles from a fixed-bucket duration histogram, the way rollups keep durations: find the bucket holding the
// wanted rank and interpolate linearly inside it, assuming its invocations are spread evenly between its bounds.
import { DURATION_BOUNDS_MS } from "../store/index.ts";

/**
 * The `q` quantile (0–1) of the durations counted in `histogram` (ms), or null when it counts nothing. Bucket `i`
 * holds durations in (bound[i-1], bound[i]], the first from 0; a rank that falls in the overflow bucket above the
 * last bound answers that bound, the most the histogram can vouch for.
 * @example estimatePercentile(counts, 0.99)
 */
export function estimatePercentile(
  histogram: readonly number[],
  q: number,
  bounds: readonly number[] = DURATION_BOUNDS_MS,
): number | null {
  const total = histogram.reduce((t, n) => t + n, 0);
  if (total === 0) return null;
  const rank = Math.min(Math.max(q, 0), 1) * total;
  let below = 0;
  for (let i = 0; i < histogram.length; i++) {
    const n = histogram[i] as number;
    if (n > 0 && below + n >= rank) {
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      const upper = bounds[i];
      if (upper === undefined) return lower;
      return lower + ((upper - lower) * (rank - below)) / n;
    }
    below += n;
  }
  return bounds.at(-1) ?? null;
}

/** Adds `from` into `into`, bucket by bucket (histograms of one layout). */
export function addHistogram(into: number[], from: readonly number[]): void {
  for (let i = 0; i < from.length; i++) into[i] = (into[i] ?? 0) + (from[i] as number);
}
