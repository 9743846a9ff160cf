// Canaries: one row per (env, function) holding the analysed canary's state — its versions, steps, policy, where it
// stands and why — with a revision every change bumps, so that of several nodes exactly one acts on each evaluation.
import type { Kysely, Migration } from "kysely";

export const canaries: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("canaries")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("function", "text", (c) => c.notNull())
      .addColumn("baseline", "text", (c) => c.notNull())
      .addColumn("canary", "text", (c) => c.notNull())
      // JSON text of the weights to go through (whole percents, the last 100) and of the analysis policy, copied
      // from the manifest at the start so a later deploy cannot change a canary under way.
      .addColumn("steps", "text", (c) => c.notNull())
      .addColumn("step", "integer", (c) => c.notNull())
      .addColumn("policy", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("started_at", "bigint", (c) => c.notNull())
      .addColumn("started_by", "text", (c) => c.notNull())
      .addColumn("step_started_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      // The compare-and-set column: a node acts only if the row still has the revision it read.
      .addColumn("revision", "integer", (c) => c.notNull())
      .addColumn("analysis", "text")
      .addColumn("reason", "text")
      .addPrimaryKeyConstraint("canaries_pk", ["env", "function"])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("canaries").execute();
  },
};
