// The rules of splitting traffic: what a valid alias target is, which bucket a request falls in, and which version
// of a split a bucket gets. Pure functions shared by the deployer (to build targets) and the alias router (to pick).
import { PaveError } from "../errors.ts";
import type { AliasTarget, SplitEntry } from "../store/index.ts";

/** A request lands in one of this many buckets; a weight of w% owns w × 100 of them. */
export const BUCKETS = 10_000;

/** The split of a canary in progress, as the canary analysis reads and moves it. */
export interface Canary {
  baseline: string;
  canary: string;
  /** Percent of requests the canary serves, 1 to 99. */
  weight: number;
}

/** Throws BadRequest unless the split has whole weights from 1 to 100 summing to 100, each version once. */
export function checkTarget(target: AliasTarget): void {
  const { split, shadow } = target;
  if (split.length === 0) throw new PaveError("BadRequest", "a split needs at least one version");
  const seen = new Set<string>();
  let sum = 0;
  for (const { version, weight } of split) {
    if (seen.has(version)) throw new PaveError("BadRequest", `version ${version} appears twice in the split`);
    seen.add(version);
    if (!Number.isInteger(weight) || weight < 1 || weight > 100) {
      throw new PaveError(
        "BadRequest",
        `the weight of ${version} must be a whole percent from 1 to 100, got ${weight}`,
      );
    }
    sum += weight;
  }
  if (sum !== 100) throw new PaveError("BadRequest", `the weights of a split must sum to 100, got ${sum}`);
  if (shadow && (!Number.isInteger(shadow.percent) || shadow.percent < 1 || shadow.percent > 100)) {
    throw new PaveError(
      "BadRequest",
      `the shadow percentage must be a whole number from 1 to 100, got ${shadow.percent}`,
    );
  }
}

/**
 * A client key's bucket: FNV-1a of the function name and the key, so one key always lands in the same bucket of a
 * function (sticky), while different functions' canaries do not always pick the same unlucky clients.
 */
export function bucketOf(fn: string, key: string): number {
  let h = 0x811c9dc5;
  const s = `${fn}\0${key}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % BUCKETS;
}

/**
 * Which entry of the split serves a bucket. Candidates (every entry after the baseline) own the lowest buckets, in
 * split order, and the baseline the rest: growing a canary from 10% to 50% keeps buckets 0–999 on it, so a sticky
 * client that saw the canary keeps seeing it (consistent assignment).
 */
export function pick(split: readonly { weight: number }[], bucket: number): number {
  let edge = 0;
  for (let i = 1; i < split.length; i++) {
    edge += (split[i] as { weight: number }).weight * (BUCKETS / 100);
    if (bucket < edge) return i;
  }
  return 0;
}

/**
 * `10`, `10%` or `"10%"` → 10, or BadRequest naming what was wrong: the one rule for `--canary` (1–99: 100 is a full
 * deploy) and `--shadow` (1–100), whether it came from the CLI or the API.
 */
export function parsePercent(value: number | string, what: "canary" | "shadow"): number {
  const max = what === "canary" ? 99 : 100;
  const text = String(value).trim();
  const n = /^\d+%?$/.test(text) ? Number.parseInt(text, 10) : Number.NaN;
  if (!(n >= 1 && n <= max)) {
    throw new PaveError(
      "BadRequest",
      `the ${what} percentage must be a whole number from 1 to ${max} (like 10%), got ${JSON.stringify(String(value))}` +
        (what === "canary" && n === 100 ? "; deploy without --canary to send it all traffic" : ""),
    );
  }
  return n;
}

/** The canary of a two-version split, or null when the alias is not split in two. */
export function canaryOf(target: AliasTarget): Canary | null {
  const [baseline, canary, ...more] = target.split;
  if (!baseline || !canary || more.length > 0) return null;
  return { baseline: baseline.version, canary: canary.version, weight: canary.weight };
}

/** `target` with a canary of `version` at `weight`% beside its baseline (a canary in progress is replaced). */
export function withCanary(target: AliasTarget, version: string, weight: number): AliasTarget {
  const baseline = (target.split[0] as SplitEntry).version;
  return {
    split: [
      { version: baseline, weight: 100 - weight },
      { version, weight },
    ],
    shadow: target.shadow,
  };
}

/** One version at 100%. */
export function whole(version: string): AliasTarget {
  return { split: [{ version, weight: 100 }], shadow: null };
}
