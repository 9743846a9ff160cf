// The adapter-neutral queries behind schedules: the row per scheduled function and the conditional UPDATEs that
// claim its ticks. Each claim is one statement, so it is atomic on SQLite and on PostgreSQL under READ COMMITTED.
import type { Kysely, Selectable } from "kysely";
import type { Database } from "./schema.ts";
import type { ScheduleClaim, ScheduleRecord, ScheduleSpec } from "./types.ts";

type Db = Kysely<Database>;

export async function putSchedule(
  db: Db,
  spec: ScheduleSpec,
  nextFireAt: number,
  now: number,
): Promise<ScheduleRecord> {
  const key = { env: spec.env, function: spec.function };
  const timezone = spec.timezone ?? "";
  return db.transaction().execute(async (tx) => {
    // Two nodes may put the same schedule at once: the loser's insert does nothing and its updates find the row.
    await tx
      .insertInto("schedules")
      .values({
        ...key,
        cron: spec.cron,
        timezone,
        overlap: spec.overlap,
        missed: spec.missed,
        next_fire_at: nextFireAt,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(["env", "function"]).doNothing())
      .execute();
    // A new cron or time zone means new ticks: the stored next fire time belongs to the old ones.
    await tx
      .updateTable("schedules")
      .set({ cron: spec.cron, timezone, next_fire_at: nextFireAt, updated_at: now })
      .where("env", "=", key.env)
      .where("function", "=", key.function)
      .where((eb) => eb.or([eb("cron", "<>", spec.cron), eb("timezone", "<>", timezone)]))
      .execute();
    await tx
      .updateTable("schedules")
      .set({ overlap: spec.overlap, missed: spec.missed })
      .where("env", "=", key.env)
      .where("function", "=", key.function)
      .where((eb) => eb.or([eb("overlap", "<>", spec.overlap), eb("missed", "<>", spec.missed)]))
      .execute();
    const row = await tx
      .selectFrom("schedules")
      .selectAll()
      .where("env", "=", key.env)
      .where("function", "=", key.function)
      .executeTakeFirstOrThrow();
    return toSchedule(row);
  });
}

export async function listSchedules(db: Db, env?: string): Promise<ScheduleRecord[]> {
  let q = db.selectFrom("schedules").selectAll();
  if (env !== undefined) q = q.where("env", "=", env);
  const rows = await q.orderBy("env").orderBy("function").execute();
  return rows.map(toSchedule);
}

export async function deleteSchedule(db: Db, env: string, fn: string): Promise<boolean> {
  const r = await db.deleteFrom("schedules").where("env", "=", env).where("function", "=", fn).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function claimScheduleTick(db: Db, c: ScheduleClaim): Promise<"fire" | "skip" | "taken"> {
  // Fire: nobody claimed this tick or a later one (the compare-and-set on last_tick), and either overlap is allowed
  // or no run's lease is still good.
  const fired = await db
    .updateTable("schedules")
    .set({
      last_tick: c.tick,
      next_fire_at: c.next,
      last_fired_at: c.tick,
      running_until: c.runningUntil,
      last_status: "running",
      last_activation: c.activationId,
      updated_at: c.now,
    })
    .where("env", "=", c.env)
    .where("function", "=", c.function)
    .where("last_tick", "<", c.tick)
    .where((eb) =>
      eb.or([eb("overlap", "=", "allow"), eb("running_until", "is", null), eb("running_until", "<=", c.now)]),
    )
    .executeTakeFirst();
  if (Number(fired.numUpdatedRows) === 1) return "fire";
  // Not fired: either another node took the tick (last_tick moved) or a run is going. The same compare-and-set
  // decides which one node counts the skip.
  const skipped = await db
    .updateTable("schedules")
    .set({ last_tick: c.tick, next_fire_at: c.next, updated_at: c.now })
    .where("env", "=", c.env)
    .where("function", "=", c.function)
    .where("last_tick", "<", c.tick)
    .executeTakeFirst();
  return Number(skipped.numUpdatedRows) === 1 ? "skip" : "taken";
}

export async function finishScheduleRun(
  db: Db,
  env: string,
  fn: string,
  tick: number,
  status: "success" | "error",
): Promise<void> {
  await db
    .updateTable("schedules")
    .set({ running_until: null, last_status: status })
    .where("env", "=", env)
    .where("function", "=", fn)
    // Only the lease of this run: with overlap `allow` a later tick's run may hold it now.
    .where("last_fired_at", "=", tick)
    .execute();
}

export async function skipScheduleTicks(
  db: Db,
  env: string,
  fn: string,
  upTo: number,
  next: number,
  now: number,
): Promise<boolean> {
  const r = await db
    .updateTable("schedules")
    .set({ last_tick: upTo, next_fire_at: next, updated_at: now })
    .where("env", "=", env)
    .where("function", "=", fn)
    .where("last_tick", "<", upTo)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

function toSchedule(r: Selectable<Database["schedules"]>): ScheduleRecord {
  const num = (v: number | null) => (v === null ? null : Number(v));
  return {
    env: r.env,
    function: r.function,
    cron: r.cron,
    timezone: r.timezone === "" ? null : r.timezone,
    overlap: r.overlap as ScheduleRecord["overlap"],
    missed: r.missed as ScheduleRecord["missed"],
    nextFireAt: Number(r.next_fire_at),
    lastTick: Number(r.last_tick),
    lastFiredAt: num(r.last_fired_at),
    runningUntil: num(r.running_until),
    lastStatus: r.last_status as ScheduleRecord["lastStatus"],
    lastActivation: r.last_activation,
    updatedAt: Number(r.updated_at),
  };
}
