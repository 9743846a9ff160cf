// The cluster change feed's log: each row is one change a node announced (an alias moved, a secret changed, …) so
// the other nodes sharing the database drop what they cached about it. Rows are kept for an hour, then pruned.
import { type Kysely, type Migration, PostgresAdapter } from "kysely";

export const changes: Migration = {
  async up(db: Kysely<unknown>) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema
      .createTable("changes")
      .addColumn("seq", postgres ? "bigserial" : "integer", (c) =>
        postgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      // Epoch ms from the database's clock, not the node's: readers bound their catch-up window by it.
      .addColumn("at", "bigint", (c) => c.notNull())
      .addColumn("node", "text", (c) => c.notNull())
      // JSON text of a `Change`.
      .addColumn("payload", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("changes_at").on("changes").column("at").execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("changes").execute();
  },
};
