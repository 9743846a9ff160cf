// Moving aliases by hand: set (create, move, split), remove, and rollback — `live` back to the version it served
// before, found in the alias's history. Each takes effect on this node at once through `onMoved`.
import { PaveError } from "../errors.ts";
import type { AliasTarget, Store } from "../store/index.ts";
import { checkTarget, whole } from "./traffic.ts";
import { resolveVersion } from "./versions.ts";

/** An alias target as the caller names it: versions by seq, id, prefix or alias. */
export interface AliasRequest {
  split: { version: string; weight: number }[];
  shadow?: { version: string; percent: number; writes?: boolean } | null;
}

export const ALIAS_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** How far back rollback looks for the version `live` served before. */
const HISTORY_DEPTH = 500;

export class AliasControl {
  readonly #store: Store;
  readonly #onMoved: (env: string, fn: string) => void | Promise<void>;

  constructor(deps: { store: Store; onMoved: (env: string, fn: string) => void | Promise<void> }) {
    this.#store = deps.store;
    this.#onMoved = deps.onMoved;
  }

  async set(env: string, fn: string, alias: string, req: AliasRequest, by: string) {
    const id = (ref: string) => resolveVersion(this.#store, env, fn, ref);
    const target: AliasTarget = {
      split: await Promise.all(req.split.map(async (s) => ({ version: await id(s.version), weight: s.weight }))),
      shadow: req.shadow
        ? { version: await id(req.shadow.version), percent: req.shadow.percent, writes: req.shadow.writes ?? false }
        : null,
    };
    checkTarget(target);
    const previous = await this.#store.setAlias(env, fn, alias, target, { reason: "set", by, now: Date.now() });
    await this.#onMoved(env, fn);
    return { alias, from: previous, to: target };
  }

  /**
   * Points `live` at a target of version ids as given, with `reason` in its history: how the canary analysis steps,
   * promotes and rolls back (reasons `canary-step`, `canary-promote`, `canary-rollback: why`). Returns what it held.
   */
  async moveLive(env: string, fn: string, target: AliasTarget, reason: string, by: string) {
    checkTarget(target);
    const from = await this.#store.setAlias(env, fn, "live", target, { reason, by, now: Date.now() });
    await this.#onMoved(env, fn);
    return from;
  }

  async remove(env: string, fn: string, alias: string, by: string): Promise<void> {
    if (alias === "live") {
      throw new PaveError(
        "BadRequest",
        `alias live cannot be removed: it is what /fn/${fn} serves; move it with pave alias set or pave rollback, or remove the function with pave rm ${fn}`,
      );
    }
    if (!(await this.#store.deleteAlias(env, fn, alias, { reason: "remove", by, now: Date.now() }))) {
      if (!(await this.#store.getFunction(env, fn))) {
        throw new PaveError("FunctionNotFound", `no function ${fn} in environment ${env}`);
      }
      throw new PaveError("AliasNotFound", `${fn} has no alias ${alias} in environment ${env}`);
    }
    await this.#onMoved(env, fn);
  }

  /**
   * Points `live` at one version, all of it: `to` when given; else the baseline when a canary or shadow is in
   * progress (abandoning it); else the version `live` served before the current one arrived — the `from` of the
   * newest move to it that was not itself a rollback, so rolling back twice steps back twice.
   */
  async rollback(env: string, fn: string, to: string | undefined, by: string) {
    const current = await this.#store.readAlias(env, fn, "live");
    if (!current) throw new PaveError("FunctionNotFound", `no function ${fn} in environment ${env}`);
    const baseline = current.split[0]?.version as string;
    let target: string;
    if (to !== undefined) target = await resolveVersion(this.#store, env, fn, to);
    else if (current.split.length > 1 || current.shadow) target = baseline;
    else target = await this.#previous(env, fn, baseline);
    const from = await this.#store.setAlias(env, fn, "live", whole(target), {
      reason: "rollback",
      by,
      now: Date.now(),
    });
    await this.#onMoved(env, fn);
    return { from, to: whole(target), version: target };
  }

  async #previous(env: string, fn: string, baseline: string): Promise<string> {
    const history = await this.#store.listAliasHistory(env, fn, "live", HISTORY_DEPTH);
    for (const h of history) {
      const arrived = h.to?.split[0]?.version === baseline;
      const before = h.from?.split[0]?.version;
      if (!arrived || h.reason === "rollback" || before === undefined || before === baseline) continue;
      if (await this.#store.getVersion(env, fn, before)) return before;
    }
    throw new PaveError(
      "NoPreviousVersion",
      `${fn} has no version before ${baseline} to roll back to; name one with --to (see pave versions ${fn})`,
    );
  }
}
