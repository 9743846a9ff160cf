// Environments get metadata: who created one, what it was copied from and when it expires (its TTL).
// Environments already in use by functions (deploys were not checked before) get a row, so they can be listed and removed.
import { type Kysely, type Migration, sql } from "kysely";

export const environments: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("environments").addColumn("created_by", "text").execute();
    await db.schema.alterTable("environments").addColumn("source", "text").execute();
    await db.schema.alterTable("environments").addColumn("expires_at", "bigint").execute();
    // Housekeeping looks for expired ones on every tick.
    await db.schema.createIndex("environments_expiry").on("environments").column("expires_at").execute();
    const d = db as Kysely<{
      environments: { name: string; created_at: number };
      functions: { env: string; created_at: number };
    }>;
    await d
      .insertInto("environments")
      .columns(["name", "created_at"])
      .expression(
        d
          .selectFrom("functions")
          .select(["env", sql<number>`min(created_at)`.as("created_at")])
          .where("env", "not in", d.selectFrom("environments").select("name"))
          .groupBy("env"),
      )
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex("environments_expiry").execute();
    for (const column of ["expires_at", "source", "created_by"]) {
      await db.schema.alterTable("environments").dropColumn(column).execute();
    }
  },
};
