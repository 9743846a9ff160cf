// The audit record as the store keeps it: who did what, where and when, with before/after, in one hash chain.
// The store orders and links records (seq, prevHash); the audit domain (ops/) defines what the hash covers.
import type { Role } from "./types.ts";

/** Who acted: a token (its id, name and role), or Pave itself (`system`: no id, no role). */
export interface AuditActor {
  id: string | null;
  name: string;
  role: Role | null;
}

/** `denied`: refused for lack of a role (or, later, by policy); `failed`: allowed, but the action did not happen. */
export type AuditOutcome = "ok" | "denied" | "failed";

/** What a caller appends; the store gives it its place in the chain. */
export interface NewAuditRecord {
  /** UUIDv7. */
  id: string;
  /** Epoch ms. */
  at: number;
  actor: AuditActor;
  /** `function.deploy`, `secret.set`, … (the list is in ops/audit-actions.ts and docs/audit.md). */
  action: string;
  env: string | null;
  /** The function the action is about, when it is about one (what `pave audit --function` matches). */
  function: string | null;
  /** What was acted on: a function, secret, topic or token name, `namespace/key` for kv. */
  target: string | null;
  outcome: AuditOutcome;
  ip: string | null;
  userAgent: string | null;
  /** JSON values: the state before and after the action, never secret values. */
  before: unknown;
  after: unknown;
  details: Record<string, unknown> | null;
}

/** A record in the chain, before its own hash is computed. */
export interface UnsealedAuditRecord extends NewAuditRecord {
  /** 1, 2, 3 … with no gaps: the chain's order. */
  seq: number;
  /** The hash of the record before (seq − 1); AUDIT_GENESIS_HASH for seq 1. */
  prevHash: string;
}

export interface AuditRecord extends UnsealedAuditRecord {
  /** SHA-256 (hex) over the record's fields including prevHash; computed by the `seal` given to appendAudit. */
  hash: string;
}

/** The chain head: the last seq handed out and its record's hash. One row, which every append locks first. */
export interface AuditHead {
  seq: number;
  hash: string;
}

export interface AuditQuery {
  env?: string;
  /** A token name or id (or `system`). */
  actor?: string;
  function?: string;
  /** An exact action, or `secret.*` for every action of a kind. */
  action?: string;
  /** At or after (epoch ms). */
  since?: number;
  /** Before (epoch ms). */
  until?: number;
  /** Only records with seq below this one (the cursor of a newest-first page). */
  beforeSeq?: number;
  /** Only records with seq above this one (the cursor of an oldest-first walk). */
  afterSeq?: number;
  /** Only records claiming this predecessor hash (how verify finds where a moved record went). */
  prevHash?: string;
  /** @default "desc" */
  order?: "asc" | "desc";
  limit: number;
}
