// Who may do what: roles ranked viewer < developer < operator < admin, and environment scopes (`*` for all).
// The control API asks these before any handler runs; token management uses them to keep delegation narrowing.
import { PaveError } from "../errors.ts";
import type { Role, TokenRecord } from "../store/index.ts";

/** The roles, least first. */
export const ROLES = ["viewer", "developer", "operator", "admin"] as const satisfies readonly Role[];

/** The scope that covers every environment, including those created later. */
export const ALL_ENVS = "*";

export const ROLE_RANK: Record<Role, number> = { viewer: 0, developer: 1, operator: 2, admin: 3 };

export type TokenState = "active" | "expired" | "revoked";

export function tokenState(t: TokenRecord, now: number): TokenState {
  if (t.revokedAt !== null) return "revoked";
  return t.expiresAt !== null && t.expiresAt <= now ? "expired" : "active";
}

/** Whether a token scoped to `envs` may act on `env` (`*` as `env`: every environment at once). */
export function inScope(envs: readonly string[], env: string): boolean {
  return envs.includes(ALL_ENVS) || (env !== ALL_ENVS && envs.includes(env));
}

/** Whether every environment of `inner` is within `outer`: what a token may hand on when it creates another. */
export function scopesWithin(inner: readonly string[], outer: readonly string[]): boolean {
  return inner.every((env) => inScope(outer, env));
}

/** Sorted, without duplicates; `*` anywhere means just `*`. */
export function normalizeScopes(envs: readonly string[]): string[] {
  return envs.includes(ALL_ENVS) ? [ALL_ENVS] : [...new Set(envs)].sort();
}

/** Throws Forbidden, naming the role needed, unless `token` has `needed` or more. `what` names the request. */
export function requireRole(token: TokenRecord, needed: Role, what: string): void {
  if (ROLE_RANK[token.role] >= ROLE_RANK[needed]) return;
  throw new PaveError(
    "Forbidden",
    `${what} needs the ${needed} role; token ${token.name} has ${token.role}: ask an admin for a ${needed} token`,
    { details: { needed, role: token.role } },
  );
}

/**
 * Throws Forbidden, naming the environment and the token's scopes, unless the token may act on `env`;
 * `*` is a request that spans every environment, which only a token scoped to `*` may make.
 */
export function requireScope(token: TokenRecord, env: string, what: string): void {
  if (inScope(token.envs, env)) return;
  const scopes = token.envs.join(", ");
  const message =
    env === ALL_ENVS
      ? `${what} spans every environment, but token ${token.name} is scoped to ${scopes}: name one of them (--env), or use a token scoped to *`
      : `token ${token.name} is scoped to ${scopes}; environment ${env} is outside it: use --env ${token.envs[0]}, or a token scoped to ${env}`;
  throw new PaveError("Forbidden", message, { details: { env, scopes: token.envs } });
}
