// The control API's routes (v1): functions, versions, invocations, activations and logs here; secrets, kv and
// topics in their own files. Each handler is thin: validate (done by the schemas), call the domain, shape the answer.
import { z } from "zod";
import type { Authenticator, BudgetGuard, PolicyBook, SecretBox } from "../auth/index.ts";
import type { AliasControl, Approvals, CanaryControl, Deployer, Environments } from "../deploy/index.ts";
import { PaveError } from "../errors.ts";
import { type Invoker, invokeIds, responseTraceparent } from "../gateway/index.ts";
import type { AuditLog } from "../ops/index.ts";
import { type Activation, type FunctionRecord, type Store, TRIGGERS } from "../store/index.ts";
import { type CostGrouping, costReport, type Metrics, type Prices } from "../telemetry/index.ts";
import { auditRoutes } from "./audit.ts";
import { canaryRoutes } from "./canary.ts";
import { deliveryRoutes } from "./deliveries.ts";
import { deployAnswer, deployAudit, pendingAnswer } from "./deploy-answer.ts";
import { environmentRoutes } from "./environments.ts";
import { asyncInvoke, missingActivation } from "./invoke-async.ts";
import { kvRoutes } from "./kv.ts";
import { logRoutes } from "./logs.ts";
import { metricsRoutes } from "./metrics.ts";
import { activationId, durationParam, envQuery, fnName, pointInTime, timeRange } from "./params.ts";
import { approvalRoutes, policyRoutes } from "./policies.ts";
import { type RouteSpec, route } from "./route.ts";
import { scheduleRoutes } from "./schedules.ts";
import { secretRoutes } from "./secrets.ts";
import { staleFunctions } from "./stale.ts";
import { tokenRoutes } from "./tokens.ts";
import { topicRoutes } from "./topics.ts";
import { traceRoutes } from "./traces.ts";
import { trafficRoutes } from "./traffic.ts";
import { refuseUnknownNames } from "./unknown-names.ts";

export interface ApiDeps {
  store: Store;
  /** Verifies bearer tokens. */
  auth: Authenticator;
  /** Seals secret values before they reach the store. */
  secretBox: SecretBox;
  deployer: Deployer;
  /** Alias moves by hand (set, remove, rollback); tells the router on this node at once. */
  aliases: AliasControl;
  /** Creates, removes and expires environments (tearing down their functions' instances through its hooks). */
  environments: Environments;
  /** The canary analysis: its state, and abort / promote by hand. */
  canaries: CanaryControl;
  invoker: Invoker;
  /** A function was removed: its instances and caches go, on every node. */
  onRemoved: (env: string, name: string) => Promise<void>;
  /** Events (or an async invocation, queue `$async`) were committed: local consumers claim them now. */
  onPublished: (env: string, queue: string) => void;
  /** A function was paused or resumed: drop what was cached about it, and wake its queues on a resume. */
  onPauseChanged: (env: string, name: string, queues: string[]) => Promise<void>;
  /** A secret was set or removed: instances holding its old value must go. */
  onSecretChanged: (env: string, name: string) => Promise<void>;
  /** A token was revoked: every node's token cache must forget it (by its hash). */
  onTokenRevoked: (hash: string) => Promise<void>;
  /** An environment's policy was set (and budget throttles refreshed): other nodes re-read their throttles. */
  onPolicyChanged: (env: string) => Promise<void>;
  /** Aborted when the server stops, so long-lived streams (log following) end and let it close. */
  shutdown: AbortSignal;
  /** What GET /metrics serves. */
  metrics: Metrics;
  /** What GET /cost prices usage at. */
  prices: Prices;
  /** Where every mutating request leaves its record (see audit-trail.ts). */
  audit: AuditLog;
  /** Each environment's policy in force, and setting a new one. */
  policies: PolicyBook;
  /** Deploys under the policy: straight through, refused, or parked for an approval. */
  approvals: Approvals;
  /** Which functions a budget rule throttles; refreshed when a policy changes. */
  budget: BudgetGuard;
}

const nameParams = z.object({ name: fnName });

function functionView(f: FunctionRecord, budget: BudgetGuard | undefined) {
  const m = f.manifest ? (JSON.parse(f.manifest) as Record<string, unknown>) : {};
  const t = budget?.throttleOf(f.env, f.name);
  return {
    name: f.name,
    env: f.env,
    version: f.live,
    memory: m.memory ?? null,
    timeout: m.timeout ?? null,
    concurrency: m.concurrency ?? null,
    tags: m.tags ?? {},
    /** Set while a budget rule refuses its invocations. */
    throttled: t ? { rule: t.rule, budgetUsd: t.budgetUsd, costUsd: t.costUsd, since: t.since } : null,
    createdAt: f.createdAt,
    updatedAt: f.updatedAt,
  };
}

async function existing(store: Store, env: string, name: string): Promise<FunctionRecord> {
  const f = await store.getFunction(env, name);
  if (!f) throw new PaveError("FunctionNotFound", `no function ${name} in environment ${env}`);
  return f;
}

export function apiRoutes(deps: ApiDeps): RouteSpec[] {
  const { store } = deps;
  return [
    route({
      method: "GET",
      path: "/functions",
      summary:
        "List functions with their live version; `stale=30d` lists only those deployed before and not invoked in the last 30 days",
      role: "viewer",
      query: envQuery
        .extend({
          stale: durationParam("stale", 60_000)
            .optional()
            .describe("a window like 30d: only functions with no invocation in it (deployed before it began)"),
        })
        .strict(),
      handler: async ({ query }) => {
        if (query.stale === undefined)
          return { functions: (await store.listFunctions(query.env)).map((f) => functionView(f, deps.budget)) };
        const since = Date.now() - query.stale;
        return { since, functions: await staleFunctions(store, query.env, since, deps.prices) };
      },
    }),
    route({
      method: "GET",
      path: "/functions/:name",
      summary: "Show one function",
      role: "viewer",
      params: nameParams,
      query: envQuery,
      handler: async ({ params, query }) => ({
        function: functionView(await existing(store, query.env, params.name), deps.budget),
      }),
    }),
    route({
      method: "DELETE",
      path: "/functions/:name",
      summary: "Remove a function with its versions and aliases (activations and logs stay)",
      role: "developer",
      params: nameParams,
      query: envQuery,
      audit: { action: "function.delete", target: ({ params }) => params.name ?? null, targetIsFunction: true },
      handler: async ({ params, query, audit }) => {
        const f = await store.getFunction(query.env, params.name);
        if (f) audit.before = { version: f.live };
        if (!(await store.deleteFunction(query.env, params.name))) {
          throw new PaveError("FunctionNotFound", `no function ${params.name} in environment ${query.env}`);
        }
        await deps.onRemoved(query.env, params.name);
        return { deleted: true, name: params.name, env: query.env };
      },
    }),
    route({
      method: "POST",
      path: "/functions/:name/versions",
      summary:
        "Deploy: create a version and point alias live at it — all of it, as a canary, or as its shadow; 202 when the policy holds it for an approval",
      role: "developer",
      params: nameParams,
      query: envQuery,
      body: z.object({
        manifest: z.record(z.string(), z.unknown()),
        bundle: z.string().min(1),
        canary: z
          .union([z.number(), z.string()])
          .optional()
          .describe("percent of live's requests for the new version, 1–99 (`10` or `10%`)"),
        shadow: z
          .union([z.number(), z.string()])
          .optional()
          .describe("percent of live's requests mirrored to the new version, 1–100; live keeps answering"),
        shadowWrites: z
          .boolean()
          .optional()
          .describe("let the shadow's kv writes and publishes through (default: refused)"),
      }),
      audit: { action: "function.deploy", target: ({ params }) => params.name ?? null, targetIsFunction: true },
      handler: async ({ params, query, body, token, reply, audit }) => {
        const { manifest, bundle, ...options } = body;
        const submitted = await deps.approvals.submit({
          env: query.env,
          name: params.name,
          manifest,
          bundle,
          options,
          token,
        });
        if (submitted.kind === "pending") return pendingAnswer(submitted.pending, reply, audit);
        const out = submitted.outcome;
        if (out.changed) reply.code(201);
        Object.assign(audit, deployAudit(out));
        return deployAnswer(params.name, query.env, out);
      },
    }),
    route({
      method: "POST",
      path: "/functions/:name/invocations",
      summary:
        "Invoke a function with a JSON payload and wait for its result; with ?async=1, queue it and answer 202 with its activation id (Idempotency-Key honoured)",
      role: "developer",
      params: nameParams,
      query: envQuery.extend({ async: z.enum(["1", "true", "0", "false"]).optional() }),
      body: z.unknown(),
      // Invoking changes no configuration, and every invocation already leaves an activation.
      audit: { exempt: "an invocation is recorded as an activation" },
      handler: async ({ params, query, body, request, reply, token }) => {
        const first = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h);
        const ids = invokeIds(
          first(request.headers.traceparent),
          first(request.headers.tracestate),
          first(request.headers["x-correlation-id"]),
        );
        reply.header("x-correlation-id", ids.correlationId);
        reply.header("traceparent", responseTraceparent(ids));
        const key = first(request.headers["idempotency-key"]);
        if (query.async === "1" || query.async === "true") {
          return asyncInvoke(deps, { env: query.env, name: params.name, body, ids, key, token, reply });
        }
        if (key !== undefined) {
          throw new PaveError("BadRequest", "Idempotency-Key is honoured on async invocations only; add ?async=1");
        }
        const out = await deps.invoker.invokeDirect(query.env, params.name, body ?? null, ids);
        reply.header("x-pave-activation-id", out.activationId);
        const r = out.result;
        if (r.kind === "error") throw new PaveError(r.code, r.message, { details: { activationId: out.activationId } });
        const result =
          r.kind === "value"
            ? r.value
            : {
                status: r.status,
                headers: Object.fromEntries(r.headers),
                body:
                  r.body === null ? null : typeof r.body === "string" ? r.body : Buffer.from(r.body).toString("base64"),
              };
        return { activationId: out.activationId, version: out.version, result };
      },
    }),
    route({
      method: "GET",
      path: "/activations",
      summary: "List activations, newest first, with a cursor for the next page",
      role: "viewer",
      query: envQuery
        .extend({
          function: fnName.optional(),
          status: z.enum(["success", "error"]).optional(),
          version: z
            .string()
            .regex(/^[0-9a-f]{1,64}$/, "a version id (hex)")
            .optional(),
          trigger: z.enum(TRIGGERS).optional(),
          since: pointInTime.optional(),
          until: pointInTime.optional(),
          trace: z
            .string()
            .regex(/^[0-9a-f]{32}$/, "a W3C trace id: 32 lowercase hex digits")
            .optional(),
          correlation: z.string().min(1).max(128).optional(),
          // The `next` of the previous page.
          before: activationId.optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(20),
        })
        // An unknown filter is refused, not ignored: a typo must not silently widen the answer.
        .strict()
        .superRefine(timeRange),
      handler: async ({ query }) => {
        const rows = await store.listActivations({
          env: query.env,
          limit: query.limit,
          ...(query.function && { function: query.function }),
          ...(query.status && { status: query.status }),
          ...(query.version && { version: query.version }),
          ...(query.trigger && { trigger: query.trigger }),
          ...(query.since !== undefined && { since: query.since }),
          ...(query.until !== undefined && { until: query.until }),
          ...(query.trace && { traceId: query.trace }),
          ...(query.correlation && { correlationId: query.correlation }),
          ...(query.before && { before: query.before }),
        });
        if (rows.length === 0) await refuseUnknownNames(store, query.env, query.function);
        return { activations: rows, next: rows.length === query.limit ? (rows.at(-1) as Activation).id : null };
      },
    }),
    route({
      method: "GET",
      path: "/cost",
      summary: "What functions cost over a span, grouped (function, version, env, trigger or tag:KEY), with movers",
      role: "viewer",
      query: z
        .object({
          env: z.string().optional(),
          by: z
            .string()
            .regex(
              /^(function|version|env|trigger|tag:[a-z][a-z0-9_-]*)$/,
              "function, version, env, trigger or tag:KEY",
            )
            .default("function"),
          since: pointInTime.optional(),
          until: pointInTime.optional(),
        })
        .strict()
        .superRefine(timeRange),
      handler: async ({ query }) => {
        if (query.env !== undefined) await refuseUnknownNames(store, query.env);
        return costReport(store, {
          ...(query.env !== undefined && { env: query.env }),
          by: query.by as CostGrouping,
          // The last seven days unless asked.
          since: query.since ?? Date.now() - 7 * 86_400_000,
          until: query.until ?? Date.now(),
          prices: deps.prices,
        });
      },
    }),
    route({
      method: "GET",
      path: "/activations/:id",
      summary: "Show one activation with its logs",
      role: "viewer",
      params: z.object({ id: z.string().min(1).max(64) }),
      scope: {
        from: "the activation's own environment",
        env: async ({ params }) =>
          (await store.getActivation(params.id))?.env ?? (await store.getDelivery(params.id))?.env,
      },
      handler: async ({ params }) => {
        const activation = await store.getActivation(params.id);
        if (!activation) throw await missingActivation(store, params.id);
        const logs = await store.listLogs({ env: activation.env, activationId: activation.id, after: 0, limit: 1000 });
        const lines = logs.map(({ ts, level, message, fields }) => ({ ts, level, message, fields }));
        return { activation: { ...activation, logs: lines } };
      },
    }),
    ...logRoutes(deps),
    ...secretRoutes(deps),
    ...kvRoutes(deps),
    ...topicRoutes(deps),
    ...deliveryRoutes(deps),
    ...metricsRoutes(deps),
    ...auditRoutes(deps),
    ...tokenRoutes(deps),
    ...scheduleRoutes(deps),
    ...trafficRoutes(deps),
    ...environmentRoutes(deps),
    ...traceRoutes(deps),
    ...policyRoutes(deps),
    ...approvalRoutes(deps),
    ...canaryRoutes(deps),
  ];
}
