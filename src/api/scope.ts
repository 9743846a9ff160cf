// How a route's environment is found: declared on the route (`scope`), or by default the `env` of the query or
// body. registerApi checks it against the token's scopes; docs/access.md lists where each route finds it.
import type { z } from "zod";
import { ALL_ENVS } from "../auth/index.ts";
import type { RouteSpec, ScopeInput } from "./route.ts";

/**
 * The environment a parsed request acts on: a name, `*` for every environment, or undefined when there is none to
 * check (a route tied to no environment, or a lookup that found nothing).
 */
export async function requestEnv(
  spec: RouteSpec,
  req: ScopeInput<unknown, unknown, unknown>,
): Promise<string | undefined> {
  if (spec.scope && "none" in spec.scope) return undefined;
  if (spec.scope) return spec.scope.env(req as never);
  // A request that names no environment spans them all: the safe reading for a route that forgot to say.
  return envField(req.query) ?? envField(req.body) ?? ALL_ENVS;
}

function envField(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Buffer.isBuffer(value)) return undefined;
  const env = (value as { env?: unknown }).env;
  return typeof env === "string" ? env : undefined;
}

/** Where a route finds its environment, in words, for docs/access.md. */
export function scopeSource(spec: RouteSpec): string {
  if (spec.scope && "none" in spec.scope) return `none: ${spec.scope.none}`;
  if (spec.scope) return spec.scope.from;
  for (const [where, schema] of [
    ["query", spec.query],
    ["body", spec.body],
  ] as const) {
    const env = (schema as { shape?: Record<string, z.ZodType> } | undefined)?.shape?.env;
    if (!env) continue;
    const absent = env.safeParse(undefined);
    if (absent.success && typeof absent.data === "string") return `\`env\` in the ${where} (default ${absent.data})`;
    return `\`env\` in the ${where}; every environment when absent (\`*\` tokens only)`;
  }
  return "every environment (`*` tokens only)";
}
