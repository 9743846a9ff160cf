// The audit log: hash-chained records of every change, and the one-row chain head that appends lock first, so
// two concurrent appends can never read the same predecessor (SQLite and PostgreSQL serialise on the same row).
import type { Kysely, Migration } from "kysely";

export const audit: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("audit_head")
      .addColumn("id", "integer", (c) => c.primaryKey())
      .addColumn("seq", "bigint", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull())
      .execute();
    // The genesis: seq 0 with an all-zero hash is what record 1 links to (AUDIT_GENESIS_HASH).
    await db
      .insertInto("audit_head" as never)
      .values({ id: 1, seq: 0, hash: "0".repeat(64) } as never)
      .execute();

    await db.schema
      .createTable("audit")
      .addColumn("seq", "bigint", (c) => c.primaryKey())
      .addColumn("id", "text", (c) => c.notNull().unique())
      .addColumn("at", "bigint", (c) => c.notNull())
      .addColumn("actor_id", "text")
      .addColumn("actor_name", "text", (c) => c.notNull())
      .addColumn("actor_role", "text")
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("env", "text")
      .addColumn("function", "text")
      .addColumn("target", "text")
      .addColumn("outcome", "text", (c) => c.notNull())
      .addColumn("ip", "text")
      .addColumn("user_agent", "text")
      .addColumn("before", "text")
      .addColumn("after", "text")
      .addColumn("details", "text")
      .addColumn("prev_hash", "text", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull())
      .execute();
    // `pave audit --since` and `--function` are the common questions; the rest filter what these ranges return.
    await db.schema.createIndex("audit_at").on("audit").column("at").execute();
    await db.schema.createIndex("audit_function").on("audit").columns(["function", "seq"]).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("audit").execute();
    await db.schema.dropTable("audit_head").execute();
  },
};
