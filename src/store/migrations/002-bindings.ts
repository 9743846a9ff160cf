// The durable side of function bindings: kv entries, sealed secrets, topics and their published events; and the
// activation's CPU time, GB-seconds and egress calls.
import { type Kysely, type Migration, PostgresAdapter, sql } from "kysely";

export const bindings: Migration = {
  async up(db: Kysely<unknown>) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    const bytes = postgres ? "bytea" : "blob";
    // kv keys list in the byte order of their UTF-8 text: SQLite's BINARY collation already compares so;
    // PostgreSQL needs the "C" collation, or a locale would reorder them and break cursors and prefix ranges.
    const keyType = postgres ? sql`text collate "C"` : sql`text`;

    await db.schema
      .createTable("kv")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("namespace", "text", (c) => c.notNull())
      .addColumn("key", keyType, (c) => c.notNull())
      .addColumn("value", bytes, (c) => c.notNull())
      .addColumn("expires_at", "bigint")
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("kv_pk", ["env", "namespace", "key"])
      .execute();
    // The purge deletes by expiry across all namespaces; entries without a TTL are not in its way.
    await db.schema.createIndex("kv_expires").on("kv").column("expires_at").execute();

    await db.schema
      .createTable("secrets")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("key_id", "text", (c) => c.notNull())
      .addColumn("iv", bytes, (c) => c.notNull())
      .addColumn("ciphertext", bytes, (c) => c.notNull())
      .addColumn("tag", bytes, (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("secrets_pk", ["env", "name"])
      .execute();

    await db.schema
      .createTable("topics")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("topics_pk", ["env", "name"])
      .execute();

    // Published events only; the triggers add their delivery state (attempts, leases, acks) in a later migration.
    await db.schema
      .createTable("events")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("topic", "text", (c) => c.notNull())
      .addColumn("payload", "text", (c) => c.notNull())
      .addColumn("correlation_id", "text", (c) => c.notNull())
      .addColumn("trace_id", "text", (c) => c.notNull())
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("published_at", "bigint", (c) => c.notNull())
      .execute();
    // Event ids are UUIDv7: a topic's events in publish order are an index scan on (env, topic, id).
    await db.schema.createIndex("events_topic").on("events").columns(["env", "topic", "id"]).execute();

    await db.schema.alterTable("activations").addColumn("cpu_ms", "double precision").execute();
    await db.schema
      .alterTable("activations")
      .addColumn("gb_seconds", "double precision", (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .alterTable("activations")
      .addColumn("egress", "text", (c) => c.notNull().defaultTo("[]"))
      .execute();
  },
};
