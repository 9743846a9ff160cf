// Schedules: one row per scheduled function, the lease its cron ticks are claimed through, so that however many
// nodes run, each tick fires once (a compare-and-set on last_tick) and overlap is seen across nodes (running_until).
import type { Kysely, Migration } from "kysely";

export const schedules: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("schedules")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("function", "text", (c) => c.notNull())
      .addColumn("cron", "text", (c) => c.notNull())
      // "" for UTC: a plain equality then tells a changed schedule on SQLite and PostgreSQL alike (no NULL compare).
      .addColumn("timezone", "text", (c) => c.notNull())
      .addColumn("overlap", "text", (c) => c.notNull())
      .addColumn("missed", "text", (c) => c.notNull())
      .addColumn("next_fire_at", "bigint", (c) => c.notNull())
      // The latest tick some node claimed, fired or skipped: the compare-and-set column. 0 before the first.
      .addColumn("last_tick", "bigint", (c) => c.notNull().defaultTo(0))
      .addColumn("last_fired_at", "bigint")
      // While a run may still be going (its start + timeout + grace); cleared when it ends. A crashed node's lease
      // simply runs out.
      .addColumn("running_until", "bigint")
      .addColumn("last_status", "text")
      .addColumn("last_activation", "text")
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("schedules_pk", ["env", "function"])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("schedules").execute();
  },
};
