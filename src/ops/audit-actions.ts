// The actions an audit record can name: one list, documented in docs/audit.md. Adding a mutating action means
// adding its name here and making one `AuditLog.record` call (routes declare it in their RouteSpec).

/** Every action, with what it records as before → after. Later features use the names reserved here. */
export const AUDIT_ACTIONS = [
  /** A deploy: before the live version (or null), after the new live version. */
  "function.deploy",
  /** A function removed with its versions and aliases: before its live version. */
  "function.delete",
  /** A function torn down by housekeeping because its manifest's `expires:` passed (actor `system`). */
  "function.expire",
  /** An alias created or moved to another version, split or shadow. */
  "alias.move",
  /** An alias removed (never `live`). */
  "alias.delete",
  /** `live` moved back to an earlier version. */
  "function.rollback",
  /** A version copied from one environment into another and made live there. */
  "function.promote",
  /** A canary stepped, was promoted or rolled back by the analysis (`system`), or aborted / promoted by an operator. */
  "canary.step",
  /** A pending deployment approved (then deployed, also recorded as `function.deploy`) / rejected with a reason. */
  "approval.approve",
  "approval.reject",
  /** A token created (its name and role, never the secret) / revoked. */
  "token.create",
  "token.revoke",
  /** An environment's policy (guard rails) replaced: before and after its version. */
  "policy.change",
  /** A function refused its invocations for passing a budget rule / let through again (actor `system`). */
  "budget.throttle",
  "budget.release",
  /** A pending deployment nobody decided on within its time (actor `system`). */
  "approval.expire",
  /** An environment created (maybe as a copy), removed with what it held, or torn down when its TTL ran out (`system`). */
  "env.create",
  "env.delete",
  "env.expire",
  /** A secret set or removed: its name and times, never its value. */
  "secret.set",
  "secret.delete",
  /** A kv entry written or deleted from the control API: key and value size, never the value. */
  "kv.put",
  "kv.delete",
  /** A topic created. */
  "topic.create",
  /** A function paused (the kill switch: it runs nothing, its events wait) / resumed: before and after `paused`. */
  "function.pause",
  "function.resume",
  /** A function's dead letters put back for delivery (details: how many, which ids) / deleted (details: how many). */
  "dlq.replay",
  "dlq.purge",
  /** A kill switch turned on or off (reserved). */
  "killswitch.set",
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];
