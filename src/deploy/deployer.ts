// The deploy operation on the server: validate the manifest again (never trust the client), prove the bundle
// loads in a real instance, store the content-addressed version and move alias `live` — or do nothing if unchanged.
import { PaveError } from "../errors.ts";
import type { HandlerStyle, VersionCode } from "../runtime/index.ts";
import type { Store, VersionRecord } from "../store/index.ts";
import { MAX_BUNDLE_BYTES } from "./bundle.ts";
import { type Manifest, validateManifest } from "./manifest.ts";
import { canonicalJson, versionCode, versionId } from "./version.ts";

export interface DeployRequest {
  env: string;
  name: string;
  manifest: unknown;
  bundle: string;
  createdBy: string;
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
    const live = await store.getAlias(req.env, req.name, "live");
    if (live === id) {
      const existing = await store.getVersion(req.env, req.name, id);
      if (existing) {
        const { bundle: _b, ...version } = existing;
        return { version, manifest, changed: false, created: false, previous: id, style: null };
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
    );
    await this.#deps.onDeployed(req.env, req.name, id);
    const { bundle: _b, ...version } = result.version;
    return { version, manifest, changed: true, created: result.created, previous: result.previous, style };
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
