// The router of the data plane: resolves `function@alias` to its split of runnable versions (cached, forgotten on a
// change, revalidated every second) and picks one per request — by the client's sticky bucket, else at random.

import { PaveError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { VersionCode } from "../runtime/index.ts";
import type { AliasRecord, Store } from "../store/index.ts";
import type { Manifest } from "./manifest.ts";
import { BUCKETS, bucketOf, pick } from "./traffic.ts";
import { versionCode } from "./version.ts";

/** How long a resolved alias is served before it is re-checked (in the background) against the store. */
const REVALIDATE_MS = 1000;

/** An alias ready to serve: its split's versions as the runtime runs them, and its shadow if any. */
export interface Route {
  alias: string;
  split: { code: VersionCode; weight: number }[];
  shadow: { code: VersionCode; percent: number; writes: boolean } | null;
  /** The kill switch (`pave pause`), read with the alias: other nodes see a pause within a second. */
  paused: boolean;
}

interface Cached {
  route: Route;
  checkedAt: number;
  refreshing: boolean;
}

export class AliasRouter {
  readonly #store: Store;
  readonly #logger: Logger;
  /** `env/function` → alias → route: one function's aliases are forgotten together. */
  readonly #routes = new Map<string, Map<string, Cached>>();
  /** `env/function` → how often it was invalidated: a load that began before an invalidation must not be cached. */
  readonly #invalidations = new Map<string, number>();

  constructor(deps: { store: Store; logger: Logger }) {
    this.#store = deps.store;
    this.#logger = deps.logger;
  }

  /** Forgets a function's aliases, after a deploy, alias move or removal (on any node): the next request reloads. */
  invalidate(env: string, fn: string): void {
    const key = `${env}/${fn}`;
    this.#routes.delete(key);
    this.#invalidations.set(key, (this.#invalidations.get(key) ?? 0) + 1);
  }

  /** The alias's route; served from cache, revalidated in the background once it is a second old. */
  async resolve(env: string, fn: string, alias: string): Promise<Route> {
    const key = `${env}/${fn}`;
    const cached = this.#routes.get(key)?.get(alias);
    if (cached) {
      if (!cached.refreshing && Date.now() - cached.checkedAt > REVALIDATE_MS) this.#revalidate(env, fn, cached);
      return cached.route;
    }
    const invalidations = this.#invalidations.get(key);
    const route = await this.#load(env, fn, alias, undefined);
    // Served to this request either way; kept only if no change arrived while it was read (it may predate it).
    if (this.#invalidations.get(key) === invalidations) {
      this.#remember(key, { route, checkedAt: Date.now(), refreshing: false });
    }
    return route;
  }

  /**
   * Picks the version of a route that serves one request: the client's bucket when it sent a key (sticky, see
   * traffic.ts), else one random bucket. A route of one version costs nothing.
   */
  choose(route: Route, fn: string, clientKey: string | undefined): VersionCode {
    const { split } = route;
    if (split.length === 1) return (split[0] as Route["split"][number]).code;
    const bucket = clientKey ? bucketOf(fn, clientKey) : Math.floor(Math.random() * BUCKETS);
    return (split[pick(split, bucket)] as Route["split"][number]).code;
  }

  #remember(key: string, entry: Cached): void {
    let aliases = this.#routes.get(key);
    if (!aliases) {
      aliases = new Map();
      this.#routes.set(key, aliases);
    }
    aliases.set(entry.route.alias, entry);
  }

  #revalidate(env: string, fn: string, cached: Cached): void {
    cached.refreshing = true;
    const key = `${env}/${fn}`;
    void this.#load(env, fn, cached.route.alias, cached.route)
      .then((route) => {
        // Only if nobody invalidated meanwhile: an invalidation means a newer answer is on its way.
        if (this.#routes.get(key)?.get(route.alias) === cached) {
          this.#remember(key, { route, checkedAt: Date.now(), refreshing: false });
        }
      })
      .catch((err: unknown) => {
        if (err instanceof PaveError && (err.code === "FunctionNotFound" || err.code === "AliasNotFound")) {
          this.#routes.get(key)?.delete(cached.route.alias);
        } else {
          cached.refreshing = false;
          this.#logger.warn(
            { err, function: key, alias: cached.route.alias },
            "revalidating an alias failed; serving the cached route",
          );
        }
      });
  }

  /** Reads the alias and loads the versions `previous` does not already hold (bundles are read once per version). */
  async #load(env: string, fn: string, alias: string, previous: Route | undefined): Promise<Route> {
    const [record, pause] = await Promise.all([this.#store.readAlias(env, fn, alias), this.#store.getPaused(env, fn)]);
    if (!record) {
      if (alias === "live" || !(await this.#store.getFunction(env, fn))) {
        throw new PaveError("FunctionNotFound", `no function ${fn} in environment ${env}`);
      }
      throw new PaveError("AliasNotFound", `${fn} has no alias ${alias} in environment ${env}`);
    }
    const known = new Map<string, VersionCode>();
    for (const s of previous?.split ?? []) known.set(s.code.id, s.code);
    if (previous?.shadow) known.set(previous.shadow.code.id, previous.shadow.code);
    const code = async (id: string) => known.get(id) ?? (await this.#code(record, id));
    return {
      alias,
      split: await Promise.all(record.split.map(async (s) => ({ code: await code(s.version), weight: s.weight }))),
      shadow: record.shadow && {
        code: await code(record.shadow.version),
        percent: record.shadow.percent,
        writes: record.shadow.writes,
      },
      paused: pause !== undefined,
    };
  }

  async #code(alias: AliasRecord, id: string): Promise<VersionCode> {
    const version = await this.#store.getVersion(alias.env, alias.function, id);
    if (!version) throw new PaveError("FunctionNotFound", `no function ${alias.function} in environment ${alias.env}`);
    // Stored manifests were validated and normalised at deploy time.
    return versionCode(alias.env, alias.function, version.id, JSON.parse(version.manifest) as Manifest, version.bundle);
  }
}
