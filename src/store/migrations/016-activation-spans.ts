// An invocation's own span is made from its activation rather than stored twice: the activation keeps the span's id,
// its parent, its start on the span clock, and the request's method and path (its name and HTTP attributes). The
// spans table keeps the spans of the binding calls. Writing a second row per invocation was a third of what recording
// cost (see docs/traces.md). Older activations have none of these and no span of their own beyond what was stored.
import type { Kysely, Migration } from "kysely";

export const activationSpans: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("activations").addColumn("span_id", "text").execute();
    await db.schema.alterTable("activations").addColumn("parent_span_id", "text").execute();
    // Fractional epoch ms, the clock child spans are timed on.
    await db.schema.alterTable("activations").addColumn("span_started_at", "double precision").execute();
    await db.schema.alterTable("activations").addColumn("http_method", "text").execute();
    await db.schema.alterTable("activations").addColumn("http_path", "text").execute();
  },
  async down(db: Kysely<unknown>) {
    for (const column of ["http_path", "http_method", "span_started_at", "parent_span_id", "span_id"]) {
      await db.schema.alterTable("activations").dropColumn(column).execute();
    }
  },
};
