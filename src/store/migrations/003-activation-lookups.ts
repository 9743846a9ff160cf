// Activations are looked up by trace id and by correlation id ("everything that request touched"), across
// functions: each gets an index, so one lookup stays fast among millions of rows.
import type { Kysely, Migration } from "kysely";

export const activationLookups: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex("activations_trace").on("activations").columns(["trace_id"]).execute();
    await db.schema.createIndex("activations_correlation").on("activations").columns(["correlation_id"]).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex("activations_correlation").execute();
    await db.schema.dropIndex("activations_trace").execute();
  },
};
