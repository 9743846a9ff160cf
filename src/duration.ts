// Durations as people type them (`500ms`, `30s`, `15m`, `12h`, `30d`), read in one place so the CLI's flags and
// the control API (a token's `ttl`) accept exactly the same spellings.

/** What a duration looks like, for error messages. */
export const DURATION_HINT = "a duration like 30s, 15m, 12h or 30d";

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * `500ms`, `30s`, `1.5h`, `30d` → whole milliseconds; undefined for anything else, or for less than 1 ms.
 * @example durationMs("30d") // 2_592_000_000
 */
export function durationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : Number.NaN;
  return ms >= 1 ? Math.round(ms) : undefined;
}
