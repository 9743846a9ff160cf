// What `pave shadow report` shows: the live and shadow versions side by side over the mirrored pairs — status codes,
// error rate, p50/p99 latency — and how often the shadow answered exactly what the primary did.
import type { Activation } from "../store/index.ts";

export interface SideStats {
  /** The versions seen on this side (a split's live side may hold two). */
  versions: string[];
  invocations: number;
  errors: number;
  errorRate: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** HTTP status → count (direct invokes have none). */
  statuses: Record<string, number>;
}

export interface ShadowReport {
  /** Mirrored requests whose primary activation was found in the window. */
  pairs: number;
  primary: SideStats;
  shadow: SideStats;
  /** Share of pairs whose HTTP status was the same. */
  statusMatchRate: number | null;
  /** Share of compared pairs whose status and body were byte-for-byte the same. */
  bodyMatchRate: number | null;
}

/** Pairs each shadow activation with its primary among `activations` (one function's, any order). */
export function shadowReport(activations: Activation[]): ShadowReport {
  const byId = new Map(activations.map((a) => [a.id, a]));
  const primaries: Activation[] = [];
  const shadows: Activation[] = [];
  let statusSame = 0;
  let compared = 0;
  let bodySame = 0;
  for (const s of activations) {
    if (s.trigger !== "shadow" || s.shadowOf === undefined) continue;
    const p = byId.get(s.shadowOf);
    if (!p) continue;
    primaries.push(p);
    shadows.push(s);
    if (p.httpStatus === s.httpStatus) statusSame++;
    if (s.shadowMatch !== null && s.shadowMatch !== undefined) {
      compared++;
      if (s.shadowMatch) bodySame++;
    }
  }
  const pairs = shadows.length;
  return {
    pairs,
    primary: stats(primaries),
    shadow: stats(shadows),
    statusMatchRate: pairs === 0 ? null : statusSame / pairs,
    bodyMatchRate: compared === 0 ? null : bodySame / compared,
  };
}

function stats(side: Activation[]): SideStats {
  const durations = side.map((a) => a.durationMs).sort((a, b) => a - b);
  const errors = side.filter((a) => a.status === "error").length;
  const statuses: Record<string, number> = {};
  for (const a of side) if (a.httpStatus !== null) statuses[a.httpStatus] = (statuses[a.httpStatus] ?? 0) + 1;
  return {
    versions: [...new Set(side.map((a) => a.version))],
    invocations: side.length,
    errors,
    errorRate: side.length === 0 ? 0 : errors / side.length,
    p50Ms: quantile(durations, 0.5),
    p99Ms: quantile(durations, 0.99),
    statuses,
  };
}

/** Nearest-rank quantile of sorted values. */
function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}
