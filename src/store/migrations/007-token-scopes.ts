// Tokens get environment scopes: a JSON list of environment names, or `["*"]` for every environment.
// Tokens issued before this migration could act everywhere, so they keep `["*"]`.
import type { Kysely, Migration } from "kysely";

export const tokenScopes: Migration = {
  async up(db: Kysely<unknown>) {
    // JSON text rather than a table of scopes: a token's scopes are always read and written whole, with the token.
    await db.schema
      .alterTable("tokens")
      .addColumn("envs", "text", (c) => c.notNull().defaultTo('["*"]'))
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable("tokens").dropColumn("envs").execute();
  },
};
