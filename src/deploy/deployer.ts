// The deploy operation on the server: validate the manifest again (never trust the client), prove the bundle
// loads in a real instance, store the content-addressed version and move alias `live` — all of it, as a canary
// beside the baseline, or as its shadow — or do nothing if unchanged. Promote deploys a stored version elsewhere.
import { PaveError } from "../errors.ts";
import type { HandlerStyle, VersionCode } from "../runtime/index.ts";
import type { AliasTarget, CanaryRecord, Store, VersionRecord } from "../store/index.ts";
import { MAX_BUNDLE_BYTES } from "./bundle.ts";
import { canaryPlan } from "./canary-policy.ts";
import { type Manifest, validateManifest } from "./manifest.ts";
import { canaryOf, whole, withCanary } from "./traffic.ts";
import { canonicalJson, versionCode, versionId } from "./version.ts";
import { resolveVersion } from "./versions.ts";

export interface DeployRequest {
  env: string;
  name: string;
  manifest: unknown;
  bundle: string;
  createdBy: string;
  /** Put the version on `live` beside the baseline at this percent (1–99) instead of all of it. */
  canary?: number;
  /** Mirror this percent (1–100) of `live`'s requests to the version; `writes` lets its kv writes and publishes through. */
  shadow?: { percent: number; writes: boolean };
}

export interface PromoteRequest {
  name: string;
  from: string;
  to: string;
  /** The version to promote (seq, id, prefix or alias of the source); the source's `live` baseline when absent. */
  version?: string;
  by: string;
}

export interface DeployOutcome {
  version: Omit<VersionRecord, "bundle">;
  manifest: Manifest;
  /** False when this exact content was already live: nothing changed. */
  changed: boolean;
  /** False when the version already existed (e.g. a redeploy of an older version). */
  created: boolean;
  previous: string | null;
  style: HandlerStyle | null;
  /** `live` as the deploy left it. */
  target: AliasTarget;
  /** The canary a full deploy replaced, if one was in progress. */
  replacedCanary: string | null;
  /** The analysed canary this deploy started (its steps and policy), when it was a `--canary` deploy. */
  canary: CanaryRecord | null;
}

export interface DeployerDeps {
  store: Store;
  /** Loads the version in an instance; rejects with BuildError / InvalidHandler / … when it cannot serve. */
  prepare: (code: VersionCode) => Promise<HandlerStyle>;
  /** Told after `live` moved, so routers and pools drop what they cached; awaited (the new version's minInstances start). */
  onDeployed: (env: string, name: string, version: string) => void | Promise<void>;
  now?: () => number;
}

/** Load-time failures that are the function's fault are build errors from the deployer's point of view. */
const LOAD_FAILURES = new Set(["FunctionError", "Timeout", "OutOfMemory"]);

export class Deployer {
  readonly #deps: DeployerDeps;

  constructor(deps: DeployerDeps) {
    this.#deps = deps;
  }

  async deploy(req: DeployRequest): Promise<DeployOutcome> {
    const manifest = validateManifest(req.manifest, "manifest");
    if (manifest.name !== req.name) {
      throw new PaveError("BadRequest", `the manifest's name is ${manifest.name} but the request deploys ${req.name}`);
    }
    await this.#checkTopics(req.env, manifest);
    const bundleBytes = Buffer.byteLength(req.bundle);
    if (bundleBytes > MAX_BUNDLE_BYTES) {
      throw new PaveError("PayloadTooLarge", `bundle is ${bundleBytes} bytes; the limit is ${MAX_BUNDLE_BYTES}`);
    }
    const id = versionId(manifest, req.bundle);
    const { store } = this.#deps;
    // Before the costly load; the store checks again in the deploy's own transaction.
    if (!(await store.getEnvironment(req.env))) {
      throw new PaveError(
        "EnvironmentNotFound",
        `no environment ${req.env}; create it with \`pave env create ${req.env}\``,
      );
    }
    const current = await store.readAlias(req.env, req.name, "live");
    const next = (now: AliasTarget | null) => nextTarget(now, id, req);
    // Refuse before the slow part (loading the bundle) what the target rules refuse anyway.
    const planned = next(current ?? null);
    if (current && sameTarget(current, planned)) {
      const existing = await store.getVersion(req.env, req.name, id);
      if (existing) {
        const { bundle: _b, ...version } = existing;
        const previous = current.split[0]?.version ?? null;
        return {
          version,
          manifest,
          changed: false,
          created: false,
          previous,
          style: null,
          target: planned,
          replacedCanary: null,
          canary: null,
        };
      }
    }
    let style: HandlerStyle;
    try {
      style = await this.#deps.prepare(versionCode(req.env, req.name, id, manifest, req.bundle));
    } catch (err) {
      if (err instanceof PaveError && LOAD_FAILURES.has(err.code)) {
        throw new PaveError("BuildError", `the function does not load: ${err.message}`, { cause: err });
      }
      throw err;
    }
    const now = (this.#deps.now ?? Date.now)();
    const result = await store.deploy(
      {
        env: req.env,
        function: req.name,
        id,
        manifest: canonicalJson(manifest),
        bundle: req.bundle,
        bundleBytes,
        createdBy: req.createdBy,
      },
      "live",
      now,
      { target: next, reason: req.canary !== undefined ? "canary" : req.shadow ? "shadow" : "deploy" },
    );
    // The analysis starts with the row (canary.ts): steps from the share asked for, the manifest's policy.
    const started = canaryOf(result.to);
    const canary =
      req.canary !== undefined && started
        ? await store.startCanary({
            env: req.env,
            function: req.name,
            baseline: started.baseline,
            canary: id,
            ...canaryPlan(manifest.canary, req.canary),
            startedBy: req.createdBy,
            now,
          })
        : null;
    await this.#deps.onDeployed(req.env, req.name, id);
    const { bundle: _b, ...version } = result.version;
    const replaced = result.from && !req.canary && !req.shadow ? canaryOf(result.from) : null;
    return {
      version,
      manifest,
      changed: true,
      created: result.created,
      previous: result.previous,
      style,
      target: result.to,
      replacedCanary: replaced && replaced.canary !== id ? replaced.canary : null,
      canary,
    };
  }

  /**
   * Copies a version — the same content-hash id, manifest and bundle bytes, not a rebuild — from one environment into
   * another and points the target's `live` at it. It is loaded there first, with that environment's secrets.
   */
  /** The version a promote would copy, after checking both environments and the function exist. */
  async promotable(req: PromoteRequest): Promise<VersionRecord> {
    const { store } = this.#deps;
    if (req.from === req.to) throw new PaveError("BadRequest", `promote needs two environments; both are ${req.from}`);
    await this.#environment(req.from);
    await this.#environment(req.to);
    if (!(await store.getFunction(req.from, req.name))) {
      throw new PaveError("FunctionNotFound", `no function ${req.name} in environment ${req.from}`);
    }
    const id = await resolveVersion(store, req.from, req.name, req.version ?? "live");
    const source = await store.getVersion(req.from, req.name, id);
    if (!source) throw new PaveError("VersionNotFound", `${req.name} in ${req.from} has no version ${id}`);
    return source;
  }

  async promote(req: PromoteRequest): Promise<DeployOutcome & { from: string; to: string }> {
    const { store } = this.#deps;
    const source = await this.promotable(req);
    const id = source.id;
    // Stored manifests are normalised already; normalising again would misread the timeout (stored in ms) as seconds.
    const manifest = JSON.parse(source.manifest) as Manifest;
    const style = await this.#deps.prepare(versionCode(req.to, req.name, id, manifest, source.bundle));
    const result = await store.deploy(
      {
        env: req.to,
        function: req.name,
        id,
        manifest: source.manifest,
        bundle: source.bundle,
        bundleBytes: source.bundleBytes,
        createdBy: source.createdBy,
      },
      "live",
      (this.#deps.now ?? Date.now)(),
      { reason: "promote", by: req.by },
    );
    await this.#deps.onDeployed(req.to, req.name, id);
    const { bundle: _b, ...version } = result.version;
    return {
      version,
      manifest,
      changed: result.previous !== id,
      created: result.created,
      previous: result.previous,
      style,
      target: result.to,
      replacedCanary: null,
      canary: null,
      from: req.from,
      to: req.to,
    };
  }

  /**
   * Environments are created elsewhere; until then one exists when the store lists it (prod) or it holds functions —
   * which is how `deploy --env staging` brings one into being today.
   */
  async #environment(env: string): Promise<void> {
    const { store } = this.#deps;
    if ((await store.listEnvironments()).includes(env)) return;
    if ((await store.listFunctions(env)).length > 0) return;
    throw new PaveError("EnvironmentNotFound", `no environment ${env} (it has no functions yet)`);
  }

  /** A subscription to a topic that does not exist could never be delivered: refused, naming the field. */
  async #checkTopics(env: string, manifest: Manifest): Promise<void> {
    const issues: { key: string; message: string }[] = [];
    for (const [i, s] of (manifest.subscriptions ?? []).entries()) {
      if (await this.#deps.store.getTopic(env, s.topic)) continue;
      issues.push({
        key: `subscriptions.${i}.topic`,
        message: `no topic ${s.topic} in environment ${env}; create it first with \`pave topic create ${s.topic}\``,
      });
    }
    if (issues.length === 0) return;
    throw new PaveError("InvalidManifest", issues.map((i) => `manifest: ${i.key}: ${i.message}`).join("\n"), {
      details: { file: "manifest", issues },
    });
  }
}

/** Where `live` goes when version `id` is deployed with `req`'s flags, given what it holds now. */
function nextTarget(current: AliasTarget | null, id: string, req: DeployRequest): AliasTarget {
  if (req.canary !== undefined && req.shadow) {
    throw new PaveError("BadRequest", "a deploy is either a canary or a shadow, not both");
  }
  if (req.canary === undefined && !req.shadow) return whole(id);
  const what = req.canary !== undefined ? "canary" : "shadow";
  const baseline = current?.split[0]?.version;
  if (!current || baseline === undefined) {
    throw new PaveError(
      "BadRequest",
      `a ${what} needs a live version beside it; deploy ${req.name} without --${what} first`,
    );
  }
  if (baseline === id) {
    throw new PaveError("BadRequest", `version ${id} is already live; a ${what} deploys a different version beside it`);
  }
  if (req.canary !== undefined) return withCanary(current, id, req.canary);
  return { split: current.split, shadow: { version: id, ...(req.shadow as { percent: number; writes: boolean }) } };
}

function sameTarget(a: AliasTarget, b: AliasTarget): boolean {
  return JSON.stringify([a.split, a.shadow]) === JSON.stringify([b.split, b.shadow]);
}
