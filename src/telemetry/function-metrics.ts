// What the metrics API answers, read from the per-minute rollups: a function's series in step-wide points (empty
// ones included, so charts are continuous) and a one-query summary of every function over a recent window.
import { MINUTE_MS, type RollupSum, type Store } from "../store/index.ts";
import { type Prices, priceOf } from "./cost.ts";
import { addHistogram, estimatePercentile } from "./histogram.ts";

/** The most points one series may have: the last day at one-minute steps (1440, and the minute under way). */
export const MAX_POINTS = 24 * 60 + 1;

/** Figures for one span: a point of a series, a series' total, or one function's row of the summary. */
export interface MetricsFigures {
  count: number;
  errors: number;
  /** errors / count; 0 when nothing ran. */
  errorRate: number;
  coldStarts: number;
  /** Refused at the concurrency limit or for want of memory; also counted in errors. */
  throttles: number;
  /**
   * Estimated from the duration histogram (ms) of the invocations that ran (not those refused before running); null
   * when none ran.
   */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  /** Exact mean duration (ms) of the invocations that ran; null when none ran. */
  meanMs: number | null;
  billedMs: number;
  gbSeconds: number;
  /** GB-seconds and requests at the server's prices (USD). */
  cost: number;
}

export interface MetricsPoint extends MetricsFigures {
  /** Epoch ms; the point covers [start, start + step). */
  start: number;
}

export interface FunctionMetrics {
  env: string;
  function: string;
  /** The one version asked for, or null for all versions merged. */
  version: string | null;
  /** The first point's start and the end of the last point (epoch ms): the asked span widened to whole steps. */
  since: number;
  until: number;
  step: number;
  prices: Prices;
  points: MetricsPoint[];
  total: MetricsFigures;
}

export interface SummaryRow extends MetricsFigures {
  function: string;
  requestsPerSecond: number;
  /** coldStarts / count; 0 when nothing ran. */
  coldRate: number;
  /** The window's cost extrapolated to an hour. */
  costPerHour: number;
}

export interface MetricsSummary {
  env: string;
  /** The span the figures cover: the whole minutes of the window plus the current minute so far. */
  since: number;
  until: number;
  prices: Prices;
  /** Every deployed function (idle ones with zeros) and any other with activations in the window; busiest first. */
  functions: SummaryRow[];
}

/** The points a span has at a step: [since, until) widened outwards to whole steps aligned to the epoch. */
export function stepSpan(since: number, until: number, step: number): { first: number; end: number; points: number } {
  const first = since - mod(since, step);
  const end = until - mod(until, step) + (mod(until, step) === 0 ? 0 : step);
  return { first, end, points: Math.max(0, (end - first) / step) };
}

/** A function's series; the caller has checked the step (whole minutes) and the point count (≤ MAX_POINTS). */
export async function functionMetrics(
  store: Store,
  q: { env: string; function: string; version?: string; since: number; until: number; step: number; prices: Prices },
): Promise<FunctionMetrics> {
  const { first, end } = stepSpan(q.since, q.until, q.step);
  const rows = await store.rollups({
    env: q.env,
    function: q.function,
    ...(q.version !== undefined && { version: q.version }),
    since: first,
    until: end,
    step: q.step,
  });
  const byStart = new Map(rows.map((r) => [r.start, r]));
  const points: MetricsPoint[] = [];
  const total = emptySum(q.function);
  for (let start = first; start < end; start += q.step) {
    const row = byStart.get(start) ?? emptySum(q.function, start);
    addSum(total, row);
    points.push({ start, ...figures(row, q.prices) });
  }
  return {
    env: q.env,
    function: q.function,
    version: q.version ?? null,
    since: first,
    until: end,
    step: q.step,
    prices: q.prices,
    points,
    total: figures(total, q.prices),
  };
}

/** Every function of an environment over the last `windowMs` (whole minutes) and the current minute: one query. */
export async function metricsSummary(
  store: Store,
  q: { env: string; windowMs: number; now: number; prices: Prices },
): Promise<MetricsSummary> {
  const currentMinute = q.now - mod(q.now, MINUTE_MS);
  const since = currentMinute - q.windowMs;
  const until = currentMinute + MINUTE_MS;
  const [rows, deployed] = await Promise.all([
    store.rollups({ env: q.env, since, until, step: until - since }),
    store.listFunctions(q.env),
  ]);
  const sums = new Map(deployed.map((f) => [f.name, emptySum(f.name)]));
  for (const r of rows) {
    const sum = sums.get(r.function) ?? emptySum(r.function);
    addSum(sum, r);
    sums.set(r.function, sum);
  }
  // The current minute counts only as far as it has gone: a rate over time not yet lived would read low.
  const seconds = Math.max(1, (q.now - since) / 1000);
  const functions = [...sums.values()]
    .map((s) => {
      const f = figures(s, q.prices);
      return {
        function: s.function,
        requestsPerSecond: s.count / seconds,
        ...f,
        coldRate: s.count === 0 ? 0 : s.coldStarts / s.count,
        costPerHour: (f.cost * 3600) / seconds,
      };
    })
    .sort((a, b) => b.requestsPerSecond - a.requestsPerSecond || a.function.localeCompare(b.function));
  return { env: q.env, since, until: q.now, prices: q.prices, functions };
}

function figures(s: RollupSum, prices: Prices): MetricsFigures {
  const ran = s.count > 0;
  // The histogram holds the invocations that ran (see RollupSums): the mean is theirs too.
  const timed = s.histogram.reduce((n, c) => n + c, 0);
  return {
    count: s.count,
    errors: s.errors,
    errorRate: ran ? s.errors / s.count : 0,
    coldStarts: s.coldStarts,
    throttles: s.throttles,
    p50: estimatePercentile(s.histogram, 0.5),
    p90: estimatePercentile(s.histogram, 0.9),
    p99: estimatePercentile(s.histogram, 0.99),
    meanMs: timed > 0 ? s.durationMs / timed : null,
    billedMs: s.billedMs,
    gbSeconds: s.gbSeconds,
    cost: priceOf({ invocations: s.count, gbSeconds: s.gbSeconds }, prices),
  };
}

function emptySum(fn: string, start = 0): RollupSum {
  return {
    function: fn,
    start,
    count: 0,
    errors: 0,
    coldStarts: 0,
    throttles: 0,
    durationMs: 0,
    billedMs: 0,
    gbSeconds: 0,
    histogram: [],
  };
}

function addSum(into: RollupSum, from: RollupSum): void {
  into.count += from.count;
  into.errors += from.errors;
  into.coldStarts += from.coldStarts;
  into.throttles += from.throttles;
  into.durationMs += from.durationMs;
  into.billedMs += from.billedMs;
  into.gbSeconds += from.gbSeconds;
  addHistogram(into.histogram, from.histogram);
}

/** Modulo that stays non-negative for times before the epoch. */
function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}
