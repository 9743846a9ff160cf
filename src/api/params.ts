// Schemas several route files share: the `?env=` every route takes, the lowercase resource names of pave.yaml
// (functions, kv namespaces, topics) and points in time (`1h` ago, a date).
import { z } from "zod";

/** `?env=`, defaulting to the one environment a fresh server has. */
export const envQuery = z.object({ env: z.string().min(1).default("prod") });

/**
 * A lowercase name as `pave.yaml` spells them: a letter, then up to 62 of a-z, 0-9 and `-`.
 * @example lowerName("a kv namespace name").parse("carts")
 */
export function lowerName(what: string) {
  return z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, `${what}: a lowercase letter, then up to 62 of a-z, 0-9, -`);
}

/** `1h`, `30m`, `2d`, `45s` ago, or an ISO date / epoch ms → epoch ms. */
export const pointInTime = z.string().transform((v, ctx) => {
  const rel = v.match(/^(\d+)(s|m|h|d)$/);
  if (rel) return Date.now() - Number(rel[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[rel[2] as "s"];
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (Number.isNaN(t)) {
    ctx.addIssue({ code: "custom", message: "a duration like 1h or a date" });
    return z.NEVER;
  }
  return t;
});
