// The manifest's `expires:` — a short-lived function's end: a duration after its deploy (`72h`) or a date. Read
// here once into `{ afterMs }` or `{ at }`; housekeeping tears down functions whose moment has passed.
import { z } from "zod";
import { durationMs } from "../duration.ts";

/** Ten years, as for token and environment TTLs: an expiry always fits an integer column. */
export const MAX_EXPIRY_MS = 3650 * 86_400_000;

const HINT = "a duration after deploy like 72h or 30d (at most 3650d), or a future date like 2026-12-01 (ISO 8601)";

/**
 * `72h` → `{ afterMs }`, counted from when `live` moved to the version; `2026-12-01` or `2026-12-01T18:00Z` →
 * `{ at }` (epoch ms). A date already past is refused at deploy: the function would be torn down at once.
 */
export const expiresSchema = z.string().transform((v, ctx): { afterMs: number } | { at: number } => {
  const ms = durationMs(v);
  if (ms !== undefined && ms <= MAX_EXPIRY_MS) return { afterMs: ms };
  // A four-digit year first: V8's Date.parse reads oddities like `-1` as a year.
  const at = /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : Number.NaN;
  if (!Number.isNaN(at) && at > Date.now()) return { at };
  ctx.addIssue({ code: "custom", message: Number.isNaN(at) ? HINT : `a date in the future (${HINT})` });
  return z.NEVER;
});

export type Expires = z.output<typeof expiresSchema>;

/** When a function whose live manifest says `expires` is due (epoch ms); null when it never is. */
export function functionExpiresAt(expires: Expires | undefined, liveSince: number | null): number | null {
  if (!expires) return null;
  if ("at" in expires) return expires.at;
  return liveSince === null ? null : liveSince + expires.afterMs;
}
