// An empty answer about an environment or function that does not exist is most likely a typo, not "nothing
// happened": the query routes check the names they were given once their answer comes back empty, so a removed
// function's history still answers, and the usual path pays nothing.
import { PaveError } from "../errors.ts";
import type { Store } from "../store/index.ts";

/**
 * Throws EnvironmentNotFound when `env` does not exist, FunctionNotFound when `fn` does not exist in it, unless an
 * activation of theirs is kept: a removed function's history is still there to ask about.
 */
export async function refuseUnknownNames(store: Store, env: string, fn?: string): Promise<void> {
  if (!(await store.getEnvironment(env)) && (await store.listActivations({ env, limit: 1 })).length === 0) {
    throw new PaveError("EnvironmentNotFound", `no environment ${env}, and no activation in one is kept`);
  }
  if (
    fn !== undefined &&
    !(await store.getFunction(env, fn)) &&
    (await store.listActivations({ env, function: fn, limit: 1 })).length === 0
  ) {
    throw new PaveError(
      "FunctionNotFound",
      `no function ${fn} in environment ${env}, and no activation of one is kept`,
    );
  }
}
