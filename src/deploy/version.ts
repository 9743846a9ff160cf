// A version's id is the hash of what it runs: the normalised manifest and the bundle.
// Identical content gives the identical id, which is how a redeploy of the same code is a no-op.
import { createHash } from "node:crypto";
import type { Manifest } from "./manifest.ts";

export function versionId(manifest: Manifest, bundle: string): string {
  return createHash("sha256").update(canonicalJson(manifest)).update("\0").update(bundle).digest("hex").slice(0, 12);
}

/** JSON with sorted keys, so key order in pave.yaml does not change the hash. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
