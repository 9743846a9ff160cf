// How a node applies a change — its own at once, another node's when the change feed brings it — so both paths drop
// the same caches: routes, instances (pools are per node), schedules, subscriptions, budget throttles, tokens.
import type { Authenticator, BudgetGuard } from "./auth/index.ts";
import type { Manifest } from "./deploy/index.ts";
import type { Invoker } from "./gateway/index.ts";
import type { Logger } from "./logger.ts";
import type { Runtime } from "./runtime/index.ts";
import type { Change, Store } from "./store/index.ts";
import type { Consumers, Scheduler } from "./triggers/index.ts";

/** What a change touches on this node. */
export interface NodeParts {
  store: Store;
  invoker: Invoker;
  runtime: Runtime;
  scheduler: Scheduler;
  consumers: Consumers;
  budget: BudgetGuard;
  auth: Authenticator;
  logger: Logger;
}

export interface ChangeApplier {
  /** Applies a change on this node; resolves when its schedules and subscriptions are re-read and instances warm. */
  apply(change: Change): Promise<void>;
  /** Keeps the live version's minInstances warm (and releases the previous version's); a failure is only logged. */
  provision(env: string, name: string): Promise<void>;
}

export function changeApplier(parts: NodeParts): ChangeApplier {
  const { store, invoker, runtime, scheduler, consumers, budget, auth, logger } = parts;
  const provision = async (env: string, name: string) => {
    try {
      await runtime.provision(await invoker.live(env, name));
    } catch (err) {
      logger.error({ err, env, function: name }, "keeping minInstances warm failed");
    }
  };
  const reloadTriggers = () => Promise.all([scheduler.reload(), consumers.reload()]);
  /**
   * The router forgets at once. Instances of versions no alias serves are drained only when `live` is whole; during a
   * split or shadow they stay.
   */
  const aliasMoved = async (env: string, name: string) => {
    invoker.invalidate(env, name);
    const live = await store.readAlias(env, name, "live");
    if (live && live.split.length === 1 && live.shadow === null) {
      const others = (await store.listAliases(env, name)).filter((a) => a.name !== "live");
      if (others.length === 0) runtime.retire(env, name, live.split[0]?.version);
    }
    // Awaited, so a deploy's answer means its schedule is armed (on this node, and in the store for the leader).
    await Promise.all([provision(env, name), reloadTriggers()]);
  };
  const secretChanged = async (env: string, secret: string) => {
    for (const fn of await store.listFunctions(env)) {
      const secrets = fn.manifest && (JSON.parse(fn.manifest) as Manifest).bindings.secrets;
      if (!secrets?.includes(secret)) continue;
      // Every instance holds the old value: drain them all, then warm the provisioned ones up again.
      runtime.retire(env, fn.name);
      await provision(env, fn.name);
    }
  };
  const apply = async (change: Change): Promise<void> => {
    switch (change.kind) {
      case "alias":
        return aliasMoved(change.env, change.function);
      case "function-removed":
        invoker.invalidate(change.env, change.function);
        runtime.retire(change.env, change.function);
        await reloadTriggers();
        return;
      case "pause":
        invoker.invalidate(change.env, change.function);
        for (const q of change.queues) consumers.wake(change.env, q);
        return;
      case "secret":
        return secretChanged(change.env, change.secret);
      case "environment-created":
        await provisionAll(store, provision, [change.env]);
        await reloadTriggers();
        return;
      case "policy":
      case "budget":
        // The policy itself is read from the store on each use; only the throttles are held in memory.
        return budget.reload();
      case "token":
        auth.forget(change.hash);
        return;
    }
  };
  return { apply, provision };
}

/** Starts the minInstances of every function (of `envs`, or all) whose live version asks for some. */
export async function provisionAll(
  store: Store,
  provision: (env: string, name: string) => Promise<void>,
  envs?: string[],
): Promise<void> {
  for (const env of envs ?? (await store.listEnvironments())) {
    for (const fn of await store.listFunctions(env)) {
      const min = fn.manifest === null ? 0 : ((JSON.parse(fn.manifest) as { minInstances?: number }).minInstances ?? 0);
      if (min > 0) await provision(env, fn.name);
    }
  }
}
