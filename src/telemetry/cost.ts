// What functions cost: each activation's billed GB-seconds and its request, priced, summed per group, with the
// movers against the period before. Grouping by a tag answers "what does the payments feature cost this week?".
import type { Store, UsageRow } from "../store/index.ts";

/** Prices in USD. */
export interface Prices {
  perGbSecond: number;
  perMillionRequests: number;
}

/**
 * AWS Lambda's on-demand price for x86 functions in us-east-1, first tier: $0.0000166667 per GB-second and $0.20
 * per million requests (https://aws.amazon.com/lambda/pricing/). A reference point, not a bill: set your own.
 */
export const DEFAULT_PRICES: Prices = { perGbSecond: 0.0000166667, perMillionRequests: 0.2 };

export type CostGrouping = "function" | "version" | "env" | "trigger" | `tag:${string}`;

export interface CostRow {
  key: string;
  invocations: number;
  errors: number;
  gbSeconds: number;
  cost: number;
  /** Cost of 1,000 invocations at this group's average. */
  costPer1000: number;
}

export interface CostReport {
  by: CostGrouping;
  since: number;
  until: number;
  prices: Prices;
  /** Most expensive first. */
  rows: CostRow[];
  total: number;
  /** The same span just before, for comparison. */
  previousTotal: number;
  /** Groups whose cost changed most against the previous span, largest change first. */
  movers: { key: string; cost: number; previousCost: number; change: number }[];
}

export async function costReport(
  store: Store,
  q: { env?: string; by: CostGrouping; since: number; until: number; prices: Prices },
): Promise<CostReport> {
  const span = q.until - q.since;
  const [now, before] = await Promise.all([
    group(store, q.env, q.by, q.since, q.until, q.prices),
    group(store, q.env, q.by, q.since - span, q.since, q.prices),
  ]);
  const rows = [...now.values()].sort((a, b) => b.cost - a.cost);
  const keys = new Set([...now.keys(), ...before.keys()]);
  const movers = [...keys]
    .map((key) => {
      const cost = now.get(key)?.cost ?? 0;
      const previousCost = before.get(key)?.cost ?? 0;
      return { key, cost, previousCost, change: cost - previousCost };
    })
    .filter((m) => m.change !== 0)
    .sort((a, b) => Math.abs(b.change) - Math.abs(a.change))
    .slice(0, 5);
  return {
    by: q.by,
    since: q.since,
    until: q.until,
    prices: q.prices,
    rows,
    total: sum(rows),
    previousTotal: sum([...before.values()]),
    movers,
  };
}

/** Usage summed per group and priced; tags are read from each function's live manifest. */
async function group(
  store: Store,
  env: string | undefined,
  by: CostGrouping,
  since: number,
  until: number,
  prices: Prices,
): Promise<Map<string, CostRow>> {
  const tag = by.startsWith("tag:") ? by.slice(4) : undefined;
  const usage = await store.usage({
    ...(env !== undefined && { env }),
    since,
    until,
    by: tag === undefined ? (by as "function") : "function",
  });
  const tagOf = tag === undefined ? undefined : await tagValues(store, usage, tag);
  const out = new Map<string, CostRow>();
  for (const u of usage) {
    const key = tagOf ? (tagOf.get(u.key) ?? "(untagged)") : u.key;
    const row = out.get(key) ?? { key, invocations: 0, errors: 0, gbSeconds: 0, cost: 0, costPer1000: 0 };
    row.invocations += u.invocations;
    row.errors += u.errors;
    row.gbSeconds += u.gbSeconds;
    row.cost = priceOf(row, prices);
    row.costPer1000 = row.invocations === 0 ? 0 : (row.cost / row.invocations) * 1000;
    out.set(key, row);
  }
  return out;
}

async function tagValues(store: Store, usage: UsageRow[], tag: string): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const env of new Set(usage.map((u) => u.env))) {
    for (const fn of await store.listFunctions(env)) {
      const tags = fn.manifest ? (JSON.parse(fn.manifest) as { tags?: Record<string, string> }).tags : undefined;
      const value = tags?.[tag];
      if (value !== undefined) values.set(`${env}/${fn.name}`, value);
    }
  }
  return values;
}

/** What usage costs at `prices`: its GB-seconds and its requests. */
export function priceOf(u: { gbSeconds: number; invocations: number }, prices: Prices): number {
  return u.gbSeconds * prices.perGbSecond + (u.invocations / 1e6) * prices.perMillionRequests;
}

function sum(rows: CostRow[]): number {
  return rows.reduce((t, r) => t + r.cost, 0);
}
