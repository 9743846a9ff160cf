// A version's id is the hash of what it runs: the normalised manifest and the bundle.
// Identical content gives the identical id, which is how a redeploy of the same code is a no-op.
import { createHash } from "node:crypto";
import type { VersionCode } from "../runtime/index.ts";
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

/** What the runtime needs of a version: its limits and grants from the manifest, and its bundle. */
export function versionCode(env: string, name: string, id: string, manifest: Manifest, bundle: string): VersionCode {
  return {
    env,
    function: name,
    id,
    memoryMb: manifest.memory,
    timeoutMs: manifest.timeout,
    concurrency: manifest.concurrency,
    // Absent from manifests stored before the key existed.
    minInstances: manifest.minInstances ?? 0,
    grants: manifest.bindings,
    bundle,
  };
}
