// The records of policies as code: policy file versions, deployments waiting for an approval, and budget throttles.
// Plain objects for callers; the kysely-policies.ts queries own how they are stored.
import type { Role } from "./types.ts";

/** One version of an environment's policy file. */
export interface PolicyRecord {
  env: string;
  /** 1, 2, 3 … per environment; the highest is in force. */
  version: number;
  /** The file as written, comments included. */
  yaml: string;
  /** The token name that set it. */
  createdBy: string;
  createdAt: number;
}

/** Who asked for or decided on a pending deployment: a token's id, name and role (never its secret). */
export interface PolicyActor {
  id: string;
  name: string;
  role: Role;
}

export type PendingStatus = "pending" | "approved" | "rejected" | "expired" | "failed";

/** A deploy a policy rule holds until someone with `requiredRole` approves it. */
export interface PendingDeployment {
  /** UUIDv7. */
  id: string;
  env: string;
  function: string;
  requestedBy: PolicyActor;
  /** The manifest as the requester sent it. */
  manifest: Record<string, unknown>;
  bundle: string;
  /** The deploy's options as sent (`canary`, `shadow`, `shadowWrites`), replayed on approval. */
  options: Record<string, unknown>;
  /** The rules that asked for the approval, each with why it matched. */
  rules: { name: string; outcome: string; why: string }[];
  requiredRole: Role;
  createdAt: number;
  status: PendingStatus;
  decidedBy: PolicyActor | null;
  decidedAt: number | null;
  /** Why it was rejected, or why an approved deploy failed. */
  reason: string | null;
}

/** A decision on a pending deployment: applied only while it is still pending (see Store.decidePending). */
export interface PendingDecision {
  status: Exclude<PendingStatus, "pending">;
  by: PolicyActor | null;
  at: number;
  reason: string | null;
}

/** A function refused for passing a budget rule of its environment's policy. */
export interface BudgetThrottle {
  env: string;
  function: string;
  rule: string;
  budgetUsd: number;
  /** Month-to-date cost when it was last checked. */
  costUsd: number;
  since: number;
}
