// `GET /functions?stale=30d`: the retire candidates — functions deployed before the window and not invoked in it —
// with when they were last invoked and what they cost over the window. Read from the per-minute rollups: kept
// longer than activations (90 days by default) and one grouped query per environment.
import type { FunctionRecord, Store } from "../store/index.ts";
import { type Prices, priceOf } from "../telemetry/index.ts";

export interface StaleFunction {
  name: string;
  env: string;
  version: string | null;
  /** When `live` last moved (the deploy the window is compared with). */
  deployedAt: number | null;
  /** The start of the minute of its last invocation, or null when the rollups remember none. */
  lastInvokedAt: number | null;
  /** Invocations and their cost over the window: zero for a stale function, kept so scripts see one shape. */
  invocations: number;
  cost: number;
  /** Warm instances it still holds (manifest `minInstances`): what an idle function keeps costing in memory. */
  minInstances: number;
  memory: number | null;
}

/** Functions of `env` with no invocation in [since, now) that were deployed before `since`; least recently invoked first. */
export async function staleFunctions(
  store: Store,
  env: string,
  since: number,
  prices: Prices,
): Promise<StaleFunction[]> {
  const [functions, activity] = await Promise.all([store.listFunctions(env), store.functionActivity(env, since)]);
  const byName = new Map(activity.map((a) => [a.function, a]));
  const stale = functions
    // A function deployed inside the window has not had the whole window to be invoked yet.
    .filter((f) => (f.liveSince ?? f.updatedAt) < since && (byName.get(f.name)?.invocations ?? 0) === 0)
    .map((f: FunctionRecord): StaleFunction => {
      const a = byName.get(f.name);
      const m = f.manifest ? (JSON.parse(f.manifest) as { minInstances?: number; memory?: number }) : {};
      return {
        name: f.name,
        env: f.env,
        version: f.live,
        deployedAt: f.liveSince,
        lastInvokedAt: a?.lastInvokedAt ?? null,
        invocations: a?.invocations ?? 0,
        cost: priceOf({ invocations: a?.invocations ?? 0, gbSeconds: a?.gbSeconds ?? 0 }, prices),
        minInstances: m.minInstances ?? 0,
        memory: m.memory ?? null,
      };
    });
  return stale.sort((x, y) => (x.lastInvokedAt ?? 0) - (y.lastInvokedAt ?? 0) || (x.name < y.name ? -1 : 1));
}
