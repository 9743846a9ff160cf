// Naming and comparing versions: a version is named by its seq number (`3`), its id or an id prefix, or an alias
// (its baseline); two versions are compared key by key (manifest) and line by line (bundle).
import { PaveError } from "../errors.ts";
import type { Store, VersionRecord } from "../store/index.ts";
import { unifiedDiff } from "./line-diff.ts";

/** A manifest key whose value differs; null on one side when the key is absent there. */
export interface ManifestChange {
  key: string;
  from: unknown;
  to: unknown;
}

export interface VersionDiff {
  from: { id: string; seq: number };
  to: { id: string; seq: number };
  manifest: ManifestChange[];
  /** A unified diff of the bundles; empty when the code is the same. */
  code: string;
}

/**
 * The id of the version `ref` names: an exact id, a seq number, an alias (its baseline), or a unique id prefix.
 * Throws VersionNotFound, or BadRequest for a prefix shared by several versions.
 */
export async function resolveVersion(store: Store, env: string, fn: string, ref: string): Promise<string> {
  const versions = await store.listVersions(env, fn);
  if (versions.length === 0 && !(await store.getFunction(env, fn))) {
    throw new PaveError("FunctionNotFound", `no function ${fn} in environment ${env}`);
  }
  const exact = versions.find((v) => v.id === ref);
  if (exact) return exact.id;
  // `3` or `v3`, as `pave versions` prints it.
  if (/^v?\d+$/.test(ref)) {
    const bySeq = versions.find((v) => v.seq === Number(ref.replace("v", "")));
    if (bySeq) return bySeq.id;
  }
  const alias = await store.getAlias(env, fn, ref);
  if (alias) return alias;
  if (/^[0-9a-f]+$/.test(ref)) {
    const matches = versions.filter((v) => v.id.startsWith(ref));
    if (matches.length === 1) return (matches[0] as (typeof matches)[number]).id;
    if (matches.length > 1) {
      throw new PaveError(
        "BadRequest",
        `${ref} is the start of ${matches.length} versions of ${fn} (${matches.map((m) => m.id).join(", ")}); give more of the id`,
      );
    }
  }
  throw new PaveError(
    "VersionNotFound",
    `${fn} in ${env} has no version ${ref} (name one by seq number, id or id prefix, or alias; see pave versions ${fn})`,
  );
}

async function load(store: Store, env: string, fn: string, ref: string): Promise<VersionRecord> {
  const id = await resolveVersion(store, env, fn, ref);
  const version = await store.getVersion(env, fn, id);
  if (!version) throw new PaveError("VersionNotFound", `${fn} in ${env} has no version ${ref}`);
  return version;
}

export async function diffVersions(
  store: Store,
  env: string,
  fn: string,
  from: string,
  to: string,
): Promise<VersionDiff> {
  const a = await load(store, env, fn, from);
  const b = await load(store, env, fn, to);
  return {
    from: { id: a.id, seq: a.seq },
    to: { id: b.id, seq: b.seq },
    manifest: manifestChanges(JSON.parse(a.manifest), JSON.parse(b.manifest)),
    code: unifiedDiff(a.bundle, b.bundle, { from: `${fn}@${a.id} (v${a.seq})`, to: `${fn}@${b.id} (v${b.seq})` }),
  };
}

/** Differences of two manifests by dotted key (`bindings.kv.CARTS.access`); arrays compare as whole values. */
export function manifestChanges(a: unknown, b: unknown): ManifestChange[] {
  const flatA = flatten(a);
  const flatB = flatten(b);
  const keys = [...new Set([...flatA.keys(), ...flatB.keys()])].sort();
  const out: ManifestChange[] = [];
  for (const key of keys) {
    const x = flatA.get(key);
    const y = flatB.get(key);
    if (JSON.stringify(x) !== JSON.stringify(y)) out.push({ key, from: x ?? null, to: y ?? null });
  }
  return out;
}

function flatten(value: unknown, prefix = "", into = new Map<string, unknown>()): Map<string, unknown> {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    // An empty object is a value of its own (`tags: {}`), or a key that becomes one would look unchanged.
    if (entries.length === 0 && prefix) into.set(prefix, {});
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, into);
  } else if (prefix) {
    into.set(prefix, value);
  }
  return into;
}
