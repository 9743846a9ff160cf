// The control API's routes (v1): functions, versions, invocations, activations and logs here; secrets, kv and
// topics in their own files. Each handler is thin: validate (done by the schemas), call the domain, shape the answer.
import { z } from "zod";
import type { Authenticator, SecretBox } from "../auth/index.ts";
import { type AliasControl, type CanaryControl, type Deployer, parsePercent } from "../deploy/index.ts";
import { PaveError } from "../errors.ts";
import { type Invoker, invokeIds } from "../gateway/index.ts";
import type { AuditLog } from "../ops/index.ts";
import type { Activation, FunctionRecord, Store } from "../store/index.ts";
import { type CostGrouping, costReport, type Metrics, type Prices } from "../telemetry/index.ts";
import { auditRoutes } from "./audit.ts";
import { canaryRoutes } from "./canary.ts";
import { kvRoutes } from "./kv.ts";
import { logRoutes } from "./logs.ts";
import { metricsRoutes } from "./metrics.ts";
import { envQuery, fnName, pointInTime, timeRange } from "./params.ts";
import { type RouteSpec, route } from "./route.ts";
import { scheduleRoutes } from "./schedules.ts";
import { secretRoutes } from "./secrets.ts";
import { tokenRoutes } from "./tokens.ts";
import { topicRoutes } from "./topics.ts";
import { trafficRoutes } from "./traffic.ts";

export interface ApiDeps {
  store: Store;
  /** Verifies bearer tokens; revoking a token evicts it from its cache. */
  auth: Authenticator;
  /** Seals secret values before they reach the store. */
  secretBox: SecretBox;
  deployer: Deployer;
  /** Alias moves by hand (set, remove, rollback); tells the router on this node at once. */
  aliases: AliasControl;
  /** The canary analysis: its state, and abort / promote by hand. */
  canaries: CanaryControl;
  invoker: Invoker;
  onRemoved: (env: string, name: string) => void;
  /** A secret was set or removed: instances holding its old value must go. */
  onSecretChanged: (env: string, name: string) => Promise<void>;
  /** Aborted when the server stops, so long-lived streams (log following) end and let it close. */
  shutdown: AbortSignal;
  /** What GET /metrics serves. */
  metrics: Metrics;
  /** What GET /cost prices usage at. */
  prices: Prices;
  /** Where every mutating request leaves its record (see audit-trail.ts). */
  audit: AuditLog;
}

const nameParams = z.object({ name: fnName });

function functionView(f: FunctionRecord) {
  const m = f.manifest ? (JSON.parse(f.manifest) as Record<string, unknown>) : {};
  return {
    name: f.name,
    env: f.env,
    version: f.live,
    memory: m.memory ?? null,
    timeout: m.timeout ?? null,
    concurrency: m.concurrency ?? null,
    tags: m.tags ?? {},
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
      summary: "List functions with their live version",
      role: "viewer",
      query: envQuery,
      handler: async ({ query }) => ({ functions: (await store.listFunctions(query.env)).map(functionView) }),
    }),
    route({
      method: "GET",
      path: "/functions/:name",
      summary: "Show one function",
      role: "viewer",
      params: nameParams,
      query: envQuery,
      handler: async ({ params, query }) => ({ function: functionView(await existing(store, query.env, params.name)) }),
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
        deps.onRemoved(query.env, params.name);
        return { deleted: true, name: params.name, env: query.env };
      },
    }),
    route({
      method: "POST",
      path: "/functions/:name/versions",
      summary: "Deploy: create a version and point alias live at it — all of it, as a canary, or as its shadow",
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
        const out = await deps.deployer.deploy({
          env: query.env,
          name: params.name,
          manifest: body.manifest,
          bundle: body.bundle,
          createdBy: token.name,
          ...(body.canary !== undefined && { canary: parsePercent(body.canary, "canary") }),
          ...(body.shadow !== undefined && {
            shadow: { percent: parsePercent(body.shadow, "shadow"), writes: body.shadowWrites ?? false },
          }),
        });
        if (out.changed) reply.code(201);
        audit.before = { version: out.previous };
        audit.after = { version: out.version.id, seq: out.version.seq };
        audit.details = { changed: out.changed, created: out.created, bundleBytes: out.version.bundleBytes };
        return {
          function: params.name,
          env: query.env,
          alias: "live",
          changed: out.changed,
          created: out.created,
          previous: out.previous,
          split: out.target.split,
          shadow: out.target.shadow,
          replacedCanary: out.replacedCanary,
          canary: out.canary && { steps: out.canary.steps, policy: out.canary.policy },
          style: out.style,
          version: {
            id: out.version.id,
            seq: out.version.seq,
            bundleBytes: out.version.bundleBytes,
            createdAt: out.version.createdAt,
          },
        };
      },
    }),
    route({
      method: "POST",
      path: "/functions/:name/invocations",
      summary: "Invoke a function directly with a JSON payload and wait for its result",
      role: "developer",
      params: nameParams,
      query: envQuery,
      body: z.unknown(),
      // Invoking changes no configuration, and every invocation already leaves an activation.
      audit: { exempt: "an invocation is recorded as an activation" },
      handler: async ({ params, query, body, request, reply }) => {
        const first = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h);
        const ids = invokeIds(first(request.headers.traceparent), first(request.headers["x-correlation-id"]));
        reply.header("x-correlation-id", ids.correlationId);
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
          trigger: z.enum(["http", "invoke", "service", "schedule", "shadow"]).optional(),
          since: pointInTime.optional(),
          until: pointInTime.optional(),
          trace: z
            .string()
            .regex(/^[0-9a-f]{32}$/, "a W3C trace id: 32 lowercase hex digits")
            .optional(),
          correlation: z.string().min(1).max(128).optional(),
          before: z.string().optional(),
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
      handler: async ({ query }) =>
        costReport(store, {
          ...(query.env !== undefined && { env: query.env }),
          by: query.by as CostGrouping,
          // The last seven days unless asked.
          since: query.since ?? Date.now() - 7 * 86_400_000,
          until: query.until ?? Date.now(),
          prices: deps.prices,
        }),
    }),
    route({
      method: "GET",
      path: "/activations/:id",
      summary: "Show one activation with its logs",
      role: "viewer",
      params: z.object({ id: z.string().min(1).max(64) }),
      scope: {
        from: "the activation's own environment",
        env: async ({ params }) => (await store.getActivation(params.id))?.env,
      },
      handler: async ({ params }) => {
        const activation = await store.getActivation(params.id);
        if (!activation) throw new PaveError("ActivationNotFound", `no activation ${params.id}`);
        const logs = await store.listLogs({ env: activation.env, activationId: activation.id, after: 0, limit: 1000 });
        const lines = logs.map(({ ts, level, message, fields }) => ({ ts, level, message, fields }));
        return { activation: { ...activation, logs: lines } };
      },
    }),
    ...logRoutes(deps),
    ...secretRoutes(deps),
    ...kvRoutes(deps),
    ...topicRoutes(deps),
    ...metricsRoutes(deps),
    ...auditRoutes(deps),
    ...tokenRoutes(deps),
    ...scheduleRoutes(deps),
    ...trafficRoutes(deps),
    ...canaryRoutes(deps),
  ];
}
