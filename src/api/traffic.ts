// The control API's traffic routes: versions and their diff, aliases (weighted splits, shadows) with their history,
// rollback, promote between environments, and the shadow report.
import { z } from "zod";
import { requireScope } from "../auth/index.ts";
import { ALIAS_NAME, diffVersions, shadowReport } from "../deploy/index.ts";
import { PaveError } from "../errors.ts";
import type { AliasRecord, Store } from "../store/index.ts";
import { pendingAnswer } from "./deploy-answer.ts";
import { envQuery, lowerName, pointInTime } from "./params.ts";
import { type RouteSpec, route } from "./route.ts";
import type { ApiDeps } from "./routes.ts";

const nameParams = z.object({ name: lowerName("a function name") });
const aliasName = z.string().regex(ALIAS_NAME, "an alias name: a lowercase letter, then up to 62 of a-z, 0-9, -");
const aliasParams = nameParams.extend({ alias: aliasName });
/** A version as people name it: seq number, id, id prefix or alias. */
const versionRef = z.string().min(1).max(64);
const splitEntry = z.object({ version: versionRef, weight: z.number().int().min(1).max(100) });

/** Most activations the shadow report pairs up (the newest in its window). */
const REPORT_LIMIT = 5000;

async function existing(store: Store, env: string, name: string): Promise<void> {
  if (!(await store.getFunction(env, name))) {
    throw new PaveError("FunctionNotFound", `no function ${name} in environment ${env}`);
  }
}

function aliasView(a: AliasRecord) {
  return { name: a.name, split: a.split, shadow: a.shadow, updatedAt: a.updatedAt, updatedBy: a.updatedBy };
}

export function trafficRoutes(deps: ApiDeps): RouteSpec[] {
  const { store } = deps;
  return [
    route({
      method: "GET",
      path: "/functions/:name/versions",
      summary: "List a function's versions, newest first, with the aliases that point at each and their weights",
      role: "viewer",
      params: nameParams,
      query: envQuery,
      handler: async ({ params, query }) => {
        await existing(store, query.env, params.name);
        const versions = await store.listVersions(query.env, params.name);
        const aliases = await store.listAliases(query.env, params.name);
        return {
          versions: versions.map((v) => {
            const live = aliases.find((a) => a.name === "live");
            const pointing = aliases.flatMap((a) => [
              ...a.split.filter((s) => s.version === v.id).map((s) => ({ alias: a.name, weight: s.weight })),
              ...(a.shadow?.version === v.id ? [{ alias: a.name, weight: 0, shadow: a.shadow.percent }] : []),
            ]);
            return {
              id: v.id,
              seq: v.seq,
              live: live?.split[0]?.version === v.id,
              aliases: pointing,
              bundleBytes: v.bundleBytes,
              createdAt: v.createdAt,
              createdBy: v.createdBy,
            };
          }),
        };
      },
    }),
    route({
      method: "GET",
      path: "/functions/:name/diff",
      summary: "Compare two versions: manifest key by key and a unified diff of the bundles",
      role: "viewer",
      params: nameParams,
      query: envQuery.extend({ from: versionRef, to: versionRef }).strict(),
      handler: async ({ params, query }) => diffVersions(store, query.env, params.name, query.from, query.to),
    }),
    route({
      method: "GET",
      path: "/functions/:name/aliases",
      summary: "List a function's aliases with their splits and shadows",
      role: "viewer",
      params: nameParams,
      query: envQuery,
      handler: async ({ params, query }) => {
        await existing(store, query.env, params.name);
        return { aliases: (await store.listAliases(query.env, params.name)).map(aliasView) };
      },
    }),
    route({
      method: "PUT",
      path: "/functions/:name/aliases/:alias",
      summary: "Create or move an alias: one version, or a weighted split, optionally with a shadow",
      role: "developer",
      params: aliasParams,
      query: envQuery,
      body: z.object({
        split: z.array(splitEntry).min(1).max(10),
        shadow: z
          .object({ version: versionRef, percent: z.number().int().min(1).max(100), writes: z.boolean().optional() })
          .nullable()
          .optional(),
      }),
      audit: { action: "alias.move", target: ({ params }) => params.name ?? null, targetIsFunction: true },
      handler: async ({ params, query, body, token, audit }) => {
        const out = await deps.aliases.set(query.env, params.name, params.alias, body, token.name);
        Object.assign(audit, { before: out.from, after: out.to, details: { alias: params.alias } });
        return { function: params.name, env: query.env, ...out };
      },
    }),
    route({
      method: "DELETE",
      path: "/functions/:name/aliases/:alias",
      summary: "Remove an alias (never live)",
      role: "developer",
      params: aliasParams,
      query: envQuery,
      audit: { action: "alias.delete", target: ({ params }) => params.name ?? null, targetIsFunction: true },
      handler: async ({ params, query, token, audit }) => {
        audit.before = await store.readAlias(query.env, params.name, params.alias);
        audit.details = { alias: params.alias };
        await deps.aliases.remove(query.env, params.name, params.alias, token.name);
        return { deleted: true, function: params.name, alias: params.alias, env: query.env };
      },
    }),
    route({
      method: "GET",
      path: "/functions/:name/aliases/:alias/history",
      summary: "An alias's moves, newest first: who, when, why, from and to",
      role: "viewer",
      params: aliasParams,
      query: envQuery.extend({ limit: z.coerce.number().int().min(1).max(1000).default(50) }).strict(),
      handler: async ({ params, query }) => ({
        history: await store.listAliasHistory(query.env, params.name, params.alias, query.limit),
      }),
    }),
    route({
      method: "POST",
      path: "/functions/:name/rollback",
      summary: "Point live back at the version it served before (or at `to`), at once",
      role: "developer",
      params: nameParams,
      query: envQuery,
      body: z.object({ to: versionRef.optional() }).strict(),
      audit: { action: "function.rollback", target: ({ params }) => params.name ?? null, targetIsFunction: true },
      handler: async ({ params, query, body, token, audit }) => {
        const out = await deps.aliases.rollback(query.env, params.name, body.to, token.name);
        Object.assign(audit, { before: out.from, after: out.to });
        return { function: params.name, env: query.env, ...out };
      },
    }),
    route({
      method: "POST",
      path: "/functions/:name/promote",
      summary: "Copy a version (same id and bundle) from one environment to another and make it live there",
      role: "developer",
      params: nameParams,
      body: z.object({ from: z.string().min(1), to: z.string().min(1), version: versionRef.optional() }).strict(),
      // The version is read from `from` and made live in `to`: the token must reach both.
      scope: { env: async ({ body }) => body.to, from: "the body's `to` (and `from`, checked by the handler)" },
      audit: { action: "function.promote", target: ({ params }) => params.name ?? null, targetIsFunction: true },
      handler: async ({ params, body, token, audit, reply }) => {
        requireScope(token, body.from, "POST /api/v1/functions/:name/promote");
        // Under the target environment's policy, like a deploy there: denied, held for an approval, or done.
        const submitted = await deps.approvals.promote(
          {
            name: params.name,
            from: body.from,
            to: body.to,
            ...(body.version !== undefined && { version: body.version }),
            by: token.name,
          },
          token,
        );
        if (submitted.kind === "pending") return pendingAnswer(submitted.pending, reply, audit);
        const out = submitted.outcome;
        Object.assign(audit, {
          before: out.previous,
          after: { version: out.version.id, seq: out.version.seq },
          details: { from: out.from, to: out.to, changed: out.changed },
        });
        return {
          function: params.name,
          from: out.from,
          to: out.to,
          changed: out.changed,
          previous: out.previous,
          version: { id: out.version.id, seq: out.version.seq, bundleBytes: out.version.bundleBytes },
        };
      },
    }),
    route({
      method: "GET",
      path: "/functions/:name/shadow",
      summary: "Compare live and shadow over mirrored requests: statuses, error rate, p50/p99, body match rate",
      role: "viewer",
      params: nameParams,
      query: envQuery.extend({ since: pointInTime.optional() }).strict(),
      handler: async ({ params, query }) => {
        const live = await store.readAlias(query.env, params.name, "live");
        if (!live) throw new PaveError("FunctionNotFound", `no function ${params.name} in environment ${query.env}`);
        const activations = await store.listActivations({
          env: query.env,
          function: params.name,
          since: query.since ?? Date.now() - 3_600_000,
          limit: REPORT_LIMIT,
        });
        return {
          function: params.name,
          env: query.env,
          /** Where live mirrors now (null when no shadow is set). */
          mirror: live.shadow,
          dropped: deps.invoker.shadowsDropped(query.env, params.name),
          ...shadowReport(activations),
        };
      },
    }),
  ];
}
