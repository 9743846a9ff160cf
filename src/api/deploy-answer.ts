// What a deploy answers and records, shared by the deploy route and an approval (which performs the deploy it
// approves): one shape for the client whichever way the version went live.
import type { FastifyReply } from "fastify";
import type { DeployOutcome, PendingView } from "../deploy/index.ts";
import type { AuditNote } from "./route.ts";

export function deployAnswer(name: string, env: string, out: DeployOutcome) {
  return {
    function: name,
    env,
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
}

/** The `function.deploy` record's before, after and details. */
export function deployAudit(out: DeployOutcome): Required<Pick<AuditNote, "before" | "after" | "details">> {
  return {
    before: { version: out.previous },
    after: { version: out.version.id, seq: out.version.seq },
    details: { changed: out.changed, created: out.created, bundleBytes: out.version.bundleBytes },
  };
}

/**
 * A deploy or promote a policy holds: 202, and what waits for whom — in the answer and on its audit record
 * (docs/policies.md). Nothing is deployed yet.
 */
export function pendingAnswer(p: PendingView, reply: FastifyReply, audit: AuditNote) {
  reply.code(202);
  audit.details = { pending: p.id, requiredRole: p.requiredRole, rules: p.rules.map((r) => r.name) };
  return { pending: { id: p.id, function: p.function, env: p.env, requiredRole: p.requiredRole, rules: p.rules } };
}
