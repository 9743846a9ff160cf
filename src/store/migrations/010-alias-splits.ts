// Aliases that split traffic between versions and mirror it to a shadow, the history of every alias move (what
// rollback reads), and the link from a shadow activation to the primary one it mirrored.
import type { Kysely, Migration } from "kysely";

export const aliasSplits: Migration = {
  async up(db: Kysely<unknown>) {
    // `aliases.version` stays the baseline (the split's first entry), so joins that read "what is live" still work.
    await db.schema.alterTable("aliases").addColumn("split", "text").execute();
    await db.schema.alterTable("aliases").addColumn("shadow", "text").execute();
    await db.schema.alterTable("aliases").addColumn("updated_by", "text").execute();
    await db.schema.alterTable("activations").addColumn("shadow_of", "text").execute();
    await db.schema.alterTable("activations").addColumn("shadow_match", "integer").execute();

    await db.schema
      .createTable("alias_history")
      // UUIDv7: time-ordered, so "newest first" is an index scan and no dialect-specific auto-increment is needed.
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("function", "text", (c) => c.notNull())
      .addColumn("alias", "text", (c) => c.notNull())
      .addColumn("from_target", "text")
      .addColumn("to_target", "text")
      .addColumn("reason", "text", (c) => c.notNull())
      .addColumn("changed_by", "text", (c) => c.notNull())
      .addColumn("changed_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("alias_history_alias")
      .on("alias_history")
      .columns(["env", "function", "alias", "id"])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("alias_history").execute();
    await db.schema.alterTable("activations").dropColumn("shadow_match").execute();
    await db.schema.alterTable("activations").dropColumn("shadow_of").execute();
    await db.schema.alterTable("aliases").dropColumn("updated_by").execute();
    await db.schema.alterTable("aliases").dropColumn("shadow").execute();
    await db.schema.alterTable("aliases").dropColumn("split").execute();
  },
};
