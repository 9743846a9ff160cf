// Schemas several route files share: the `?env=` every route takes, the lowercase resource names of pave.yaml
// (functions, kv namespaces, topics) and the points in time of `?since=` / `?until=`.
import { z } from "zod";
import { DURATION_HINT, durationMs } from "../duration.ts";

/** `?env=`, defaulting to the one environment a fresh server has. */
export const envQuery = z.object({ env: z.string().min(1).default("prod") });

/**
 * A lowercase name as `pave.yaml` spells them: a letter, then up to 62 of a-z, 0-9 and `-`.
 * @example lowerName("a kv namespace name").parse("carts")
 */
export function lowerName(what: string) {
  return z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, `${what}: a lowercase letter, then up to 62 of a-z, 0-9, -`);
}

/** A function name, as `pave.yaml` spells it. */
export const fnName = lowerName("a function name");

/** An activation id as Pave mints them (a lowercase UUID): a cursor or filter that is not one is refused. */
export const activationId = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "an activation id (a lowercase UUID)");

/**
 * `45s`, `30m`, `1h`, `2d` ago, an ISO 8601 date (`2026-11-25`, `2026-11-25T14:03Z`) or epoch ms → epoch ms.
 * Dates must start with a four-digit year: V8's Date.parse reads oddities like `-1` as the year 2001.
 */
export const pointInTime = z.string().transform((v, ctx) => {
  const rel = v.match(/^(\d+)(s|m|h|d)$/);
  if (rel && Number(rel[1]) > 0) {
    return Date.now() - Number(rel[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[rel[2] as "s"];
  }
  const t = /^\d+$/.test(v) ? Number(v) : realDate(v) ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(t)) {
    ctx.addIssue({ code: "custom", message: "a duration like 1h or a date (ISO 8601 or epoch ms)" });
    return z.NEVER;
  }
  return t;
});

/** Whether `v` starts with a date that exists: V8's Date.parse reads 2026-02-30 as March 2. */
function realDate(v: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(v);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/**
 * Refuses a `since`/`until` pair that selects nothing (`until` at or before `since`): an empty answer would look
 * like "nothing happened" when the range was simply backwards.
 */
export function timeRange(q: { since?: number | undefined; until?: number | undefined }, ctx: z.RefinementCtx): void {
  if (q.since !== undefined && q.until !== undefined && q.until <= q.since) {
    ctx.addIssue({ code: "custom", path: ["until"], message: "must be later than since" });
  }
}

/**
 * A duration as the CLI's flags spell it (`72h`, `30d`) → ms, from `min` up to 3650 days.
 * @example durationParam("ttl", 60_000).parse("72h") // 259_200_000
 */
export function durationParam(what: string, min = 1) {
  return z.string().transform((v, ctx) => {
    const ms = durationMs(v);
    if (ms !== undefined && ms >= min && ms <= 3650 * 86_400_000) return ms;
    ctx.addIssue({
      code: "custom",
      message: `${what} is ${DURATION_HINT}${min > 1 ? `, at least ${min / 60_000}m` : ""}, at most 3650d; got ${JSON.stringify(v.slice(0, 40))}`,
    });
    return z.NEVER;
  });
}
