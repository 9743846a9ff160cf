// The answers of the control API's policy and approval routes as the client sees them: the policy in force, and
// pending deployments. Kept apart from the client class so each file holds one idea.
import type { PolicyRule } from "../auth/index.ts";
import type { PendingDeployment } from "../store/index.ts";

export type { PendingDeployment } from "../store/index.ts";

/** The policy in force in an environment; `isDefault` when the environment never had one set. */
export interface PolicyAnswer {
  policy: {
    env: string;
    yaml: string;
    version: number | null;
    isDefault: boolean;
    createdBy: string | null;
    createdAt: number | null;
    rules: PolicyRule[];
  };
}

/** A deploy a policy holds for an approval (HTTP 202): nothing is live yet. */
export interface PendingDeployAnswer {
  pending: {
    id: string;
    function: string;
    env: string;
    requiredRole: "developer" | "operator" | "admin";
    rules: { name: string; outcome: string; why: string }[];
  };
}

export type ApprovalInfo = Omit<PendingDeployment, "bundle">;

/** How the CLI says who must act on a pending deploy. */
export function waitingLine(p: PendingDeployAnswer["pending"]): string {
  const article = p.requiredRole === "operator" || p.requiredRole === "admin" ? "an" : "a";
  return `waiting for approval by ${article} ${p.requiredRole}: pave approve ${p.id}`;
}
