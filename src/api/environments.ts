// Environments over the control API: create (empty or `from` another: its function versions and config, never
// its data), list with what each holds and costs, remove. Operators create and remove; a token acts only on
// environments within its scopes, the source of a copy included.
import { z } from "zod";
import { inScope, requireScope } from "../auth/index.ts";
import type { EnvironmentRecord } from "../store/index.ts";
import { costReport } from "../telemetry/index.ts";
import { durationParam, lowerName } from "./params.ts";
import { type RouteSpec, route } from "./route.ts";
import type { ApiDeps } from "./routes.ts";

const envName = lowerName("an environment name");

const createBody = z
  .object({
    name: envName,
    from: envName.optional(),
    ttl: durationParam("ttl", 60_000).optional(),
  })
  .strict();

const nameOf = ({ body }: { body: unknown }) => {
  const name = (body as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : null;
};

/** The first instant of the current calendar month, UTC: where month-to-date cost starts. */
export function monthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export function environmentRoutes(deps: ApiDeps): RouteSpec[] {
  const { store } = deps;
  return [
    route({
      method: "POST",
      path: "/environments",
      summary:
        "Create an environment, empty or as a copy of `from` (function versions, aliases, schedules, topics; never kv data or secrets); `ttl` makes it expire",
      role: "operator",
      scope: {
        from: "`name` in the body, and `from` (the copy's source) too",
        env: async ({ body }) => body.name,
      },
      body: createBody,
      status: 201,
      audit: { action: "env.create", target: nameOf, env: nameOf },
      handler: async ({ body, token, audit }) => {
        // The source is read whole: a token must be scoped to it as well as to the new environment.
        if (body.from !== undefined) requireScope(token, body.from, "POST /api/v1/environments from");
        const out = await deps.environments.create({
          name: body.name,
          from: body.from,
          ttlMs: body.ttl,
          createdBy: token.name,
          now: Date.now(),
        });
        audit.after = { ...out.environment, copied: out.copied };
        if (out.missingSecrets.length > 0) audit.details = { missingSecrets: out.missingSecrets.map((s) => s.name) };
        return out;
      },
    }),
    route({
      method: "GET",
      path: "/environments",
      summary:
        "List environments within the token's scopes: origin, expiry, what each holds, last invocation, month-to-date cost",
      role: "viewer",
      scope: { none: "lists only the environments within the token's scopes" },
      handler: async ({ token }) => {
        const now = Date.now();
        const since = monthStart(now);
        const envs = (await store.listEnvironmentRecords()).filter((e) => inScope(token.envs, e.name));
        const cost = await costReport(store, { by: "env", since, until: now, prices: deps.prices });
        const costOf = new Map(cost.rows.map((r) => [r.key, r.cost]));
        return {
          monthStart: since,
          environments: await Promise.all(
            envs.map(async (e: EnvironmentRecord) => {
              const [last] = await store.listActivations({ env: e.name, limit: 1 });
              return {
                ...e,
                contents: await store.environmentContents(e.name),
                lastInvocationAt: last?.startedAt ?? null,
                costMonthToDate: costOf.get(e.name) ?? 0,
              };
            }),
          ),
        };
      },
    }),
    route({
      method: "DELETE",
      path: "/environments/:name",
      summary:
        "Remove an environment with its functions, kv data, secrets and topics (one holding any needs ?force=1); never prod",
      role: "operator",
      params: z.object({ name: envName }),
      query: z.object({ force: z.enum(["1", "true", "0", "false"]).optional() }).strict(),
      scope: { from: "the `name` in the path", env: async ({ params }) => params.name },
      audit: {
        action: "env.delete",
        target: ({ params }) => params.name ?? null,
        env: ({ params }) => params.name ?? null,
      },
      handler: async ({ params, query, audit }) => {
        const before = await store.getEnvironment(params.name);
        const removed = await deps.environments.remove(params.name, query.force === "1" || query.force === "true");
        audit.before = { ...before, contents: removed };
        return { deleted: true, name: params.name, removed };
      },
    }),
  ];
}
