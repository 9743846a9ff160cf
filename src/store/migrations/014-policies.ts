// Policies as code: every version of each environment's policy file (the latest is in force), deployments waiting
// for an approval, and the functions a budget rule throttles (so every node refuses them, and `pave ls` says so).
import type { Kysely, Migration } from "kysely";

export const policies: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("policies")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("version", "integer", (c) => c.notNull())
      // The file as written, comments included: what `pave policy show` prints back.
      .addColumn("yaml", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      // Two concurrent sets of one environment cannot both take the same version: one insert fails.
      .addPrimaryKeyConstraint("policies_pk", ["env", "version"])
      .execute();
    await db.schema
      .createTable("pending_deployments")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("function", "text", (c) => c.notNull())
      // JSON text: the requesting token's id, name and role, so approving one's own request is refused by id.
      .addColumn("requested_by", "text", (c) => c.notNull())
      .addColumn("manifest", "text", (c) => c.notNull())
      .addColumn("bundle", "text", (c) => c.notNull())
      .addColumn("options", "text", (c) => c.notNull())
      .addColumn("rules", "text", (c) => c.notNull())
      .addColumn("required_role", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      // pending → approved | rejected | expired | failed, changed only by a compare-and-set on `pending`.
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("decided_by", "text")
      .addColumn("decided_at", "bigint")
      .addColumn("reason", "text")
      .execute();
    await db.schema
      .createIndex("pending_deployments_env_status")
      .on("pending_deployments")
      .columns(["env", "status", "created_at"])
      .execute();
    await db.schema
      .createTable("budget_throttles")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("function", "text", (c) => c.notNull())
      .addColumn("rule", "text", (c) => c.notNull())
      .addColumn("budget_usd", "double precision", (c) => c.notNull())
      .addColumn("cost_usd", "double precision", (c) => c.notNull())
      .addColumn("since", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("budget_throttles_pk", ["env", "function"])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("budget_throttles").execute();
    await db.schema.dropTable("pending_deployments").execute();
    await db.schema.dropTable("policies").execute();
  },
};
