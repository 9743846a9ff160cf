// The adapter-neutral queries behind canaries: the row per function, its replacement when a canary starts, and the
// compare-and-set on `revision` every change goes through, one statement each (atomic on SQLite and PostgreSQL).
import type { Kysely, Selectable } from "kysely";
import type { CanaryChange, CanaryRecord, CanaryStatus, NewCanary } from "./canary-types.ts";
import type { Database } from "./schema.ts";

type Db = Kysely<Database>;

export async function startCanary(db: Db, c: NewCanary): Promise<CanaryRecord> {
  const fresh = {
    baseline: c.baseline,
    canary: c.canary,
    steps: JSON.stringify(c.steps),
    step: 0,
    policy: JSON.stringify(c.policy),
    status: "running",
    started_at: c.now,
    started_by: c.startedBy,
    step_started_at: c.now,
    updated_at: c.now,
    analysis: null,
    reason: null,
  };
  await db
    .insertInto("canaries")
    .values({ env: c.env, function: c.function, ...fresh, revision: 1 })
    // Replacing bumps the revision: whoever read the old row can no longer claim it.
    .onConflict((oc) =>
      oc.columns(["env", "function"]).doUpdateSet((eb) => ({ ...fresh, revision: eb("canaries.revision", "+", 1) })),
    )
    .execute();
  return (await getCanary(db, c.env, c.function)) as CanaryRecord;
}

export async function getCanary(db: Db, env: string, fn: string): Promise<CanaryRecord | undefined> {
  const row = await db
    .selectFrom("canaries")
    .selectAll()
    .where("env", "=", env)
    .where("function", "=", fn)
    .executeTakeFirst();
  return row && toCanary(row);
}

export async function listCanaries(db: Db, status?: CanaryStatus): Promise<CanaryRecord[]> {
  let q = db.selectFrom("canaries").selectAll();
  if (status !== undefined) q = q.where("status", "=", status);
  const rows = await q.orderBy("env").orderBy("function").execute();
  return rows.map(toCanary);
}

export async function updateCanary(
  db: Db,
  env: string,
  fn: string,
  revision: number,
  change: CanaryChange,
): Promise<CanaryRecord | undefined> {
  const set: Partial<Selectable<Database["canaries"]>> = { updated_at: change.now };
  if (change.step !== undefined) set.step = change.step;
  if (change.status !== undefined) set.status = change.status;
  if (change.stepStartedAt !== undefined) set.step_started_at = change.stepStartedAt;
  if (change.analysis !== undefined) set.analysis = change.analysis && JSON.stringify(change.analysis);
  if (change.reason !== undefined) set.reason = change.reason;
  const r = await db
    .updateTable("canaries")
    .set({ ...set, revision: revision + 1 })
    .where("env", "=", env)
    .where("function", "=", fn)
    .where("revision", "=", revision)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return undefined;
  return getCanary(db, env, fn);
}

export async function deleteCanary(db: Db, env: string, fn: string): Promise<void> {
  await db.deleteFrom("canaries").where("env", "=", env).where("function", "=", fn).execute();
}

function toCanary(r: Selectable<Database["canaries"]>): CanaryRecord {
  return {
    env: r.env,
    function: r.function,
    baseline: r.baseline,
    canary: r.canary,
    steps: JSON.parse(r.steps) as number[],
    step: Number(r.step),
    policy: JSON.parse(r.policy) as CanaryRecord["policy"],
    status: r.status as CanaryStatus,
    startedAt: Number(r.started_at),
    startedBy: r.started_by,
    stepStartedAt: Number(r.step_started_at),
    updatedAt: Number(r.updated_at),
    revision: Number(r.revision),
    analysis: r.analysis === null ? null : (JSON.parse(r.analysis) as CanaryRecord["analysis"]),
    reason: r.reason,
  };
}
