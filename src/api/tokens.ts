// Token management over the control API: create (the secret is answered once), list, revoke. Admin-only, and a
// token hands on no more than it holds: its role or less, its environments or fewer, its lifetime or shorter.
import { z } from "zod";
import { ALL_ENVS, createToken, normalizeScopes, ROLE_RANK, ROLES, scopesWithin, tokenState } from "../auth/index.ts";
import { DURATION_HINT, durationMs } from "../duration.ts";
import { PaveError } from "../errors.ts";
import type { TokenRecord } from "../store/index.ts";
import { lowerName } from "./params.ts";
import { type RouteSpec, route } from "./route.ts";
import type { ApiDeps } from "./routes.ts";

/** Ten years: long enough for any real use, short enough that an expiry always fits an integer column. */
const MAX_TTL_MS = 3650 * 86_400_000;

const ttl = z.string().transform((v, ctx) => {
  const ms = durationMs(v);
  if (ms !== undefined && ms <= MAX_TTL_MS) return ms;
  ctx.addIssue({
    code: "custom",
    message: `ttl is ${DURATION_HINT}, at most 3650d; got ${JSON.stringify(v.slice(0, 40))}`,
  });
  return z.NEVER;
});

const createBody = z
  .object({
    role: z.enum(ROLES, { error: `role is one of ${ROLES.join(", ")}` }),
    envs: z
      .array(z.union([z.literal(ALL_ENVS), lowerName("an environment name")]))
      .min(1, "envs lists at least one environment, or * for all; leave it out to get the creating token's")
      .max(100)
      .optional(),
    ttl: ttl.optional(),
    name: z
      .string()
      .min(1)
      .max(64, "a token name is at most 64 characters")
      .regex(/^[\x21-\x7e][\x20-\x7e]*$/, "a token name is printable ASCII, not starting with a space")
      .optional(),
  })
  .strict();

/** What the API tells about a token: never its hash, never its secret. */
function tokenView(t: TokenRecord, now: number, caller: TokenRecord) {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    envs: t.envs,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    revokedAt: t.revokedAt,
    state: tokenState(t, now),
    self: t.id === caller.id,
  };
}

/** Whether `caller` may see and revoke `t`: only tokens within its own environments. */
const manages = (caller: TokenRecord, t: TokenRecord) => scopesWithin(t.envs, caller.envs);

const isFullAdmin = (t: TokenRecord, now: number) =>
  t.role === "admin" && t.envs.includes(ALL_ENVS) && tokenState(t, now) === "active";

export function tokenRoutes(deps: ApiDeps): RouteSpec[] {
  const { store } = deps;
  const none = "tokens are not in any one environment; a token sees and manages only tokens within its own scopes";
  return [
    route({
      method: "POST",
      path: "/tokens",
      summary: "Create a token (role ≤ the caller's, envs ⊆ the caller's); its secret is in `token`, shown only now",
      role: "admin",
      scope: { none },
      body: createBody,
      audit: { action: "token.create", target: () => null },
      handler: async ({ body, token: caller, reply, audit }) => {
        const now = Date.now();
        // Without envs, a token gets the caller's scopes: an admin for everything mints tokens for everything.
        const envs = normalizeScopes(body.envs ?? caller.envs);
        const expiresAt = body.ttl === undefined ? null : now + body.ttl;
        checkDelegation(caller, { role: body.role, envs, expiresAt });
        const { token, record } = await createToken(store, {
          name: body.name ?? body.role,
          role: body.role,
          envs,
          expiresAt,
          now,
        });
        reply.code(201);
        // The record names the token and what it may do; its secret and hash stay out of the audit log.
        audit.after = { id: record.id, name: record.name, role: record.role, envs, expiresAt };
        return { token, ...tokenView(record, now, caller) };
      },
    }),
    route({
      method: "GET",
      path: "/tokens",
      summary: "List tokens within the caller's scopes, with their state (never their secrets or hashes)",
      role: "admin",
      scope: { none },
      handler: async ({ token: caller }) => {
        const now = Date.now();
        const tokens = (await store.listTokens()).filter((t) => manages(caller, t));
        return { tokens: tokens.map((t) => tokenView(t, now, caller)) };
      },
    }),
    route({
      method: "DELETE",
      path: "/tokens/:id",
      summary: "Revoke a token: it stops working at once on this node and within a second on the others",
      role: "admin",
      scope: { none },
      params: z.object({ id: z.string().min(1).max(64) }),
      audit: { action: "token.revoke", target: ({ params }) => params.id ?? null },
      handler: async ({ params, token: caller, audit }) => {
        const now = Date.now();
        const all = await store.listTokens();
        const target = all.find((t) => t.id === params.id);
        if (!target) throw new PaveError("TokenNotFound", `no token ${params.id}; see \`pave token ls\``);
        if (!manages(caller, target)) {
          throw new PaveError(
            "Forbidden",
            `token ${target.id} is scoped to ${target.envs.join(", ")}, beyond token ${caller.name}'s scopes (${caller.envs.join(", ")}); revoke it with a token scoped to ${target.envs.join(", ")}`,
          );
        }
        // Losing the last admin for everything locks every operator out of token management for good.
        if (isFullAdmin(target, now) && !all.some((t) => t.id !== target.id && isFullAdmin(t, now))) {
          throw new PaveError(
            "LastAdminToken",
            `token ${target.name} (${target.id}) is the last active admin token for every environment; create another first (\`pave token create --role admin\`), then revoke this one`,
          );
        }
        const revoked = (await store.revokeToken(target.id, now)) as TokenRecord;
        audit.before = { id: target.id, name: target.name, role: target.role, envs: target.envs };
        await deps.onTokenRevoked(target.hash);
        return { revoked: true, ...tokenView(revoked, now, caller) };
      },
    }),
  ];
}

/** A token hands on no more than it holds; throws Forbidden saying which limit the request passes. */
function checkDelegation(
  caller: TokenRecord,
  wanted: { role: TokenRecord["role"]; envs: string[]; expiresAt: number | null },
): void {
  if (ROLE_RANK[wanted.role] > ROLE_RANK[caller.role]) {
    throw new PaveError(
      "Forbidden",
      `token ${caller.name} is ${caller.role} and cannot create a ${wanted.role} token; only the same role or lower`,
    );
  }
  if (!scopesWithin(wanted.envs, caller.envs)) {
    throw new PaveError(
      "Forbidden",
      `token ${caller.name} is scoped to ${caller.envs.join(", ")} and cannot create a token for ${wanted.envs.join(", ")}; pass --env within its scopes`,
      { details: { scopes: caller.envs, envs: wanted.envs } },
    );
  }
  if (caller.expiresAt !== null && (wanted.expiresAt === null || wanted.expiresAt > caller.expiresAt)) {
    throw new PaveError(
      "Forbidden",
      `token ${caller.name} expires at ${new Date(caller.expiresAt).toISOString()} and cannot create a token that outlives it; pass a shorter --ttl`,
    );
  }
}
