// The foundation schema: environments, functions, versions, aliases, activations, logs, tokens.
import { type Kysely, type Migration, PostgresAdapter } from "kysely";

export const initial: Migration = {
  async up(db: Kysely<unknown>) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema
      .createTable("environments")
      .addColumn("name", "text", (c) => c.primaryKey())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .execute();
    await db
      .insertInto("environments" as never)
      .values({ name: "prod", created_at: Date.now() } as never)
      .execute();

    await db.schema
      .createTable("functions")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addColumn("next_seq", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("functions_pk", ["env", "name"])
      .execute();

    await db.schema
      .createTable("versions")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("function", "text", (c) => c.notNull())
      .addColumn("id", "text", (c) => c.notNull())
      .addColumn("seq", "integer", (c) => c.notNull())
      .addColumn("manifest", "text", (c) => c.notNull())
      .addColumn("bundle", "text", (c) => c.notNull())
      .addColumn("bundle_bytes", "integer", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("versions_pk", ["env", "function", "id"])
      .execute();

    await db.schema
      .createTable("aliases")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("function", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("version", "text", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("aliases_pk", ["env", "function", "name"])
      .execute();

    await db.schema
      .createTable("activations")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("function", "text", (c) => c.notNull())
      .addColumn("version", "text", (c) => c.notNull())
      .addColumn("trigger", "text", (c) => c.notNull())
      .addColumn("started_at", "bigint", (c) => c.notNull())
      .addColumn("duration_ms", "double precision", (c) => c.notNull())
      .addColumn("billed_ms", "integer", (c) => c.notNull())
      .addColumn("memory_mb", "integer", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("error_code", "text")
      .addColumn("error_message", "text")
      .addColumn("http_status", "integer")
      .addColumn("cold", "integer", (c) => c.notNull())
      .addColumn("trace_id", "text", (c) => c.notNull())
      .addColumn("correlation_id", "text", (c) => c.notNull())
      .addColumn("logs_dropped", "integer", (c) => c.notNull())
      .execute();
    // Activation ids are time-ordered (UUIDv7), so "newest first" is an index scan on id.
    await db.schema.createIndex("activations_fn").on("activations").columns(["env", "function", "id"]).execute();
    await db.schema.createIndex("activations_env").on("activations").columns(["env", "id"]).execute();

    await db.schema
      .createTable("logs")
      // An increasing id is the follow cursor of `pave logs --follow`; each dialect spells auto-increment its own way.
      .addColumn("id", postgres ? "bigserial" : "integer", (c) =>
        postgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn("activation_id", "text", (c) => c.notNull())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("function", "text", (c) => c.notNull())
      .addColumn("version", "text", (c) => c.notNull())
      .addColumn("ts", "bigint", (c) => c.notNull())
      .addColumn("level", "text", (c) => c.notNull())
      .addColumn("message", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("logs_fn").on("logs").columns(["env", "function", "id"]).execute();
    await db.schema.createIndex("logs_activation").on("logs").columns(["activation_id", "id"]).execute();

    await db.schema
      .createTable("tokens")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("hash", "text", (c) => c.notNull().unique())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint")
      .addColumn("revoked_at", "bigint")
      .execute();
  },
};
