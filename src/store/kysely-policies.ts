// The adapter-neutral queries behind policies as code: policy versions, pending deployments decided by a
// compare-and-set on their status (so of two concurrent approvals exactly one wins), and budget throttles.
import type { Kysely, Selectable } from "kysely";
import type {
  BudgetThrottle,
  PendingDecision,
  PendingDeployment,
  PendingStatus,
  PolicyActor,
  PolicyRecord,
} from "./policy-types.ts";
import type { Database } from "./schema.ts";
import type { Role } from "./types.ts";

type Db = Kysely<Database>;

export async function putPolicy(db: Db, env: string, yaml: string, by: string, now: number): Promise<PolicyRecord> {
  return db.transaction().execute(async (tx) => {
    const last = await tx
      .selectFrom("policies")
      .select((eb) => eb.fn.max("version").as("v"))
      .where("env", "=", env)
      .executeTakeFirst();
    const version = Number(last?.v ?? 0) + 1;
    await tx.insertInto("policies").values({ env, version, yaml, created_by: by, created_at: now }).execute();
    return { env, version, yaml, createdBy: by, createdAt: now };
  });
}

export async function getPolicy(db: Db, env: string): Promise<PolicyRecord | undefined> {
  const r = await db
    .selectFrom("policies")
    .selectAll()
    .where("env", "=", env)
    .orderBy("version", "desc")
    .limit(1)
    .executeTakeFirst();
  return (
    r && {
      env: r.env,
      version: Number(r.version),
      yaml: r.yaml,
      createdBy: r.created_by,
      createdAt: Number(r.created_at),
    }
  );
}

export async function policyEnvs(db: Db): Promise<string[]> {
  const rows = await db.selectFrom("policies").select("env").distinct().orderBy("env").execute();
  return rows.map((r) => r.env);
}

export async function insertPending(db: Db, p: PendingDeployment): Promise<void> {
  await db
    .insertInto("pending_deployments")
    .values({
      id: p.id,
      env: p.env,
      function: p.function,
      requested_by: JSON.stringify(p.requestedBy),
      manifest: JSON.stringify(p.manifest),
      bundle: p.bundle,
      options: JSON.stringify(p.options),
      rules: JSON.stringify(p.rules),
      required_role: p.requiredRole,
      created_at: p.createdAt,
      status: p.status,
      decided_by: p.decidedBy && JSON.stringify(p.decidedBy),
      decided_at: p.decidedAt,
      reason: p.reason,
    })
    .execute();
}

export async function getPending(db: Db, id: string): Promise<PendingDeployment | undefined> {
  const r = await db.selectFrom("pending_deployments").selectAll().where("id", "=", id).executeTakeFirst();
  return r && toPending(r);
}

/** Newest first, without their bundles. */
export async function listPending(
  db: Db,
  q: { env: string; status?: PendingStatus; limit: number },
): Promise<Omit<PendingDeployment, "bundle">[]> {
  let query = db
    .selectFrom("pending_deployments")
    .select([
      "id",
      "env",
      "function",
      "requested_by",
      "manifest",
      "options",
      "rules",
      "required_role",
      "created_at",
      "status",
      "decided_by",
      "decided_at",
      "reason",
    ])
    .where("env", "=", q.env);
  if (q.status) query = query.where("status", "=", q.status);
  const rows = await query.orderBy("created_at", "desc").orderBy("id", "desc").limit(q.limit).execute();
  return rows.map((r) => {
    const { bundle: _b, ...rest } = toPending({ ...r, bundle: "" });
    return rest;
  });
}

export async function decidePending(db: Db, id: string, d: PendingDecision): Promise<boolean> {
  const r = await db
    .updateTable("pending_deployments")
    .set({ status: d.status, decided_by: d.by && JSON.stringify(d.by), decided_at: d.at, reason: d.reason })
    .where("id", "=", id)
    .where("status", "=", "pending")
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Records an approved deploy that then failed; only an `approved` one moves, so a decision is never rewritten. */
export async function failApproved(db: Db, id: string, reason: string): Promise<void> {
  await db
    .updateTable("pending_deployments")
    .set({ status: "failed", reason })
    .where("id", "=", id)
    .where("status", "=", "approved")
    .execute();
}

/** Expires what waited since before `before`, each by the same compare-and-set; returns those it expired. */
export async function expirePending(db: Db, before: number, now: number): Promise<Omit<PendingDeployment, "bundle">[]> {
  const stale = await db
    .selectFrom("pending_deployments")
    .select("id")
    .where("status", "=", "pending")
    .where("created_at", "<", before)
    .execute();
  const expired: Omit<PendingDeployment, "bundle">[] = [];
  for (const { id } of stale) {
    if (!(await decidePending(db, id, { status: "expired", by: null, at: now, reason: "nobody decided in time" })))
      continue;
    const p = await getPending(db, id);
    if (p) {
      const { bundle: _b, ...rest } = p;
      expired.push(rest);
    }
  }
  return expired;
}

export async function listBudgetThrottles(db: Db): Promise<BudgetThrottle[]> {
  const rows = await db.selectFrom("budget_throttles").selectAll().orderBy("env").orderBy("function").execute();
  return rows.map((r) => ({
    env: r.env,
    function: r.function,
    rule: r.rule,
    budgetUsd: Number(r.budget_usd),
    costUsd: Number(r.cost_usd),
    since: Number(r.since),
  }));
}

/**
 * Creates the throttle, or updates its rule, budget and cost (keeping `since`). Insert first, then update: of nodes
 * refreshing at once, exactly one learns it created the throttle, so it is audited once.
 */
export async function putBudgetThrottle(db: Db, t: BudgetThrottle): Promise<boolean> {
  const inserted = await db
    .insertInto("budget_throttles")
    .values({
      env: t.env,
      function: t.function,
      rule: t.rule,
      budget_usd: t.budgetUsd,
      cost_usd: t.costUsd,
      since: t.since,
    })
    .onConflict((oc) => oc.columns(["env", "function"]).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return true;
  await db
    .updateTable("budget_throttles")
    .set({ rule: t.rule, budget_usd: t.budgetUsd, cost_usd: t.costUsd })
    .where("env", "=", t.env)
    .where("function", "=", t.function)
    .execute();
  return false;
}

export async function deleteBudgetThrottle(db: Db, env: string, fn: string): Promise<boolean> {
  const r = await db
    .deleteFrom("budget_throttles")
    .where("env", "=", env)
    .where("function", "=", fn)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

function toPending(r: Selectable<Database["pending_deployments"]>): PendingDeployment {
  return {
    id: r.id,
    env: r.env,
    function: r.function,
    requestedBy: JSON.parse(r.requested_by) as PolicyActor,
    manifest: JSON.parse(r.manifest) as Record<string, unknown>,
    bundle: r.bundle,
    options: JSON.parse(r.options) as Record<string, unknown>,
    rules: JSON.parse(r.rules) as PendingDeployment["rules"],
    requiredRole: r.required_role as Role,
    createdAt: Number(r.created_at),
    status: r.status as PendingStatus,
    decidedBy: r.decided_by === null ? null : (JSON.parse(r.decided_by) as PolicyActor),
    decidedAt: r.decided_at === null ? null : Number(r.decided_at),
    reason: r.reason,
  };
}
