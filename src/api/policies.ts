// The control API of policies as code: show and set an environment's policy (versioned, audited), and the pending
// deployments a policy holds — list, approve (which deploys) and reject. Decisions are the Approvals domain's.
import { z } from "zod";
import { actorOf } from "../ops/index.ts";
import { deployAnswer, deployAudit } from "./deploy-answer.ts";
import { envQuery } from "./params.ts";
import { type RouteSpec, route } from "./route.ts";
import type { ApiDeps } from "./routes.ts";

/** A policy file is a page of rules; anything near this size is a mistake. */
const MAX_POLICY_BYTES = 64 * 1024;

const idParams = z.object({ id: z.string().min(1).max(64) });

export function policyRoutes(deps: ApiDeps): RouteSpec[] {
  const show = async (env: string) => {
    const p = await deps.policies.current(env);
    const { policy, ...rest } = p;
    return { policy: { ...rest, rules: policy.rules } };
  };
  return [
    route({
      method: "GET",
      path: "/policies",
      summary:
        "Show the policy in force in an environment: its file, version and rules (the default when none was set)",
      role: "viewer",
      query: envQuery,
      handler: async ({ query }) => show(query.env),
    }),
    route({
      method: "PUT",
      path: "/policies",
      summary: "Set an environment's policy: a new version, validated first (an invalid file leaves the old in force)",
      role: "admin",
      query: envQuery,
      body: z.object({
        yaml: z.string().max(MAX_POLICY_BYTES).describe("the policy file's text (YAML)"),
        file: z.string().max(200).optional().describe("the file's name, for error messages"),
      }),
      audit: { action: "policy.change", target: () => "policy" },
      handler: async ({ query, body, token, audit }) => {
        const before = await deps.policies.current(query.env);
        audit.before = { version: before.version, default: before.isDefault };
        const after = await deps.policies.set(query.env, body.yaml, token.name, body.file ?? "policy.yaml");
        audit.after = { version: after.version, rules: after.policy.rules.map((r) => r.name) };
        // A budget may have been raised or added: throttles follow the new policy at once, not a minute later.
        await deps.budget.refresh();
        await deps.onPolicyChanged(query.env);
        return show(query.env);
      },
    }),
  ];
}

export function approvalRoutes(deps: ApiDeps): RouteSpec[] {
  const { store } = deps;
  const scope = {
    from: "the pending deployment's own environment",
    env: async ({ params }: { params: { id: string } }) => (await store.getPending(params.id))?.env,
  };
  return [
    route({
      method: "GET",
      path: "/approvals",
      summary: "List the deployments that wait for (or had) an approval, newest first",
      role: "viewer",
      query: envQuery.extend({
        status: z.enum(["pending", "approved", "rejected", "expired", "failed", "all"]).default("pending"),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      handler: async ({ query }) => ({
        approvals: await deps.approvals.list(query.env, query.status === "all" ? undefined : query.status, query.limit),
      }),
    }),
    route({
      method: "POST",
      path: "/approvals/:id/approve",
      summary: "Approve a pending deployment (not your own; role at least the one it needs) and deploy it as requested",
      role: "developer",
      params: idParams,
      scope,
      audit: { action: "approval.approve", target: ({ params }) => params.id ?? null },
      handler: async ({ params, token, audit }) => {
        const requested = await deps.approvals.get(params.id);
        audit.env = requested.env;
        audit.before = { status: requested.status, requestedBy: requested.requestedBy };
        const { pending, outcome } = await deps.approvals.approve(params.id, token);
        audit.after = { status: pending.status, decidedBy: pending.decidedBy, version: outcome.version.id };
        audit.details = { function: pending.function, rules: pending.rules.map((r) => r.name) };
        // The deploy itself is recorded like any other, by the approver on behalf of the requester.
        await deps.audit.record({
          action: "function.deploy",
          actor: actorOf(token),
          env: pending.env,
          function: pending.function,
          target: pending.function,
          ...deployAudit(outcome),
          details: {
            ...deployAudit(outcome).details,
            approval: pending.id,
            onBehalfOf: pending.requestedBy,
          },
        });
        return { approval: pending, deploy: deployAnswer(pending.function, pending.env, outcome) };
      },
    }),
    route({
      method: "POST",
      path: "/approvals/:id/reject",
      summary: "Reject a pending deployment with a reason (the requester may withdraw their own)",
      role: "developer",
      params: idParams,
      scope,
      body: z.object({ reason: z.string().trim().min(1, "say why").max(1000) }),
      audit: { action: "approval.reject", target: ({ params }) => params.id ?? null },
      handler: async ({ params, body, token, audit }) => {
        const requested = await deps.approvals.get(params.id);
        audit.env = requested.env;
        audit.before = { status: requested.status, requestedBy: requested.requestedBy };
        const pending = await deps.approvals.reject(params.id, token, body.reason);
        audit.after = { status: pending.status, decidedBy: pending.decidedBy, reason: pending.reason };
        audit.details = { function: pending.function };
        return { approval: pending };
      },
    }),
  ];
}
