// The control API's canary routes: the state of a function's analysed canary with its decisions so far, and the
// operator's abort (back to the baseline) and promote (skip the remaining steps), each audited as `canary.step`.
import { z } from "zod";
import { canaryWeight } from "../deploy/index.ts";
import { PaveError } from "../errors.ts";
import type { AuditRecord, CanaryRecord } from "../store/index.ts";
import { envQuery, fnName } from "./params.ts";
import { type RouteSpec, route } from "./route.ts";
import type { ApiDeps } from "./routes.ts";

const nameParams = z.object({ name: fnName });

/** Most decisions the status shows (a canary makes one per step and one at its end; abandoned ones add a few). */
const DECISIONS = 100;

function canaryView(c: CanaryRecord, now: number) {
  const bakeEnds = c.stepStartedAt + c.policy.bakeMs;
  return {
    baseline: c.baseline,
    canary: c.canary,
    status: c.status,
    steps: c.steps,
    step: c.step,
    weight: canaryWeight(c),
    policy: c.policy,
    startedAt: c.startedAt,
    startedBy: c.startedBy,
    stepStartedAt: c.stepStartedAt,
    bakeLeftMs: c.status === "running" ? Math.max(0, bakeEnds - now) : null,
    updatedAt: c.updatedAt,
    analysis: c.analysis,
    reason: c.reason,
  };
}

/** A decision as the timeline shows it: when, who (`system` for the analysis), what and why — no addresses. */
function decisionView(r: AuditRecord) {
  const d = r.details ?? {};
  return {
    at: r.at,
    actor: r.actor.name,
    outcome: r.outcome,
    decision: d.decision ?? null,
    note: d.note ?? d.reason ?? null,
    metric: d.metric ?? null,
    canaryValue: d.canaryValue ?? null,
    baselineValue: d.baselineValue ?? null,
    threshold: d.threshold ?? null,
    requests: d.requests ?? null,
  };
}

export function canaryRoutes(deps: ApiDeps): RouteSpec[] {
  const { store } = deps;
  const finish = (how: "abort" | "promote") =>
    route({
      method: "POST",
      path: `/functions/:name/canary/${how}`,
      summary:
        how === "abort"
          ? "Abort the canary in progress: live back to the baseline, at once"
          : "Promote the canary in progress: it gets all of live, skipping the remaining steps",
      role: "operator",
      params: nameParams,
      query: envQuery,
      audit: { action: "canary.step", target: ({ params }) => params.name ?? null, targetIsFunction: true },
      handler: async ({ params, query, token, audit }) => {
        const out = await deps.canaries.finish(query.env, params.name, how, token.name);
        Object.assign(audit, {
          before: out.from,
          after: out.to,
          details: { decision: how, note: out.canary.reason, canary: out.canary.canary, baseline: out.canary.baseline },
        });
        return { function: params.name, env: query.env, canary: canaryView(out.canary, Date.now()), live: out.to };
      },
    });
  return [
    route({
      method: "GET",
      path: "/functions/:name/canary",
      summary: "A function's analysed canary: status, steps, weight, last analysis (both sides' figures), decisions",
      role: "viewer",
      params: nameParams,
      query: envQuery,
      handler: async ({ params, query }) => {
        const c = await store.getCanary(query.env, params.name);
        if (!c) {
          if (!(await store.getFunction(query.env, params.name))) {
            throw new PaveError("FunctionNotFound", `no function ${params.name} in environment ${query.env}`);
          }
          throw new PaveError(
            "CanaryNotFound",
            `${params.name} has had no canary in environment ${query.env}; start one with pave deploy --canary 10%`,
          );
        }
        // The audit log is the function's timeline: this canary's decisions are its `canary.step` records.
        const records = await store.listAudit({
          env: query.env,
          function: params.name,
          action: "canary.step",
          since: c.startedAt,
          order: "asc",
          limit: DECISIONS,
        });
        return {
          function: params.name,
          env: query.env,
          canary: canaryView(c, Date.now()),
          decisions: records.map(decisionView),
        };
      },
    }),
    finish("abort"),
    finish("promote"),
  ];
}
