// Traces: every invocation's span and the spans of the binding calls it made, looked up by trace and pruned with
// their activation; and the publishing span of an event, so a consumer's span can name it as its parent.
import type { Kysely, Migration } from "kysely";

export const spans: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("spans")
      .addColumn("trace_id", "text", (c) => c.notNull())
      .addColumn("span_id", "text", (c) => c.notNull())
      .addColumn("parent_span_id", "text")
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      // Fractional epoch ms: child spans of a quick invocation are a fraction of a millisecond apart.
      .addColumn("started_at", "double precision", (c) => c.notNull())
      .addColumn("duration_ms", "double precision", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("status_message", "text")
      .addColumn("attributes", "text", (c) => c.notNull())
      .addColumn("activation_id", "text", (c) => c.notNull())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("function", "text", (c) => c.notNull())
      // A trace's spans are one range of the primary key.
      .addPrimaryKeyConstraint("spans_pk", ["trace_id", "span_id"])
      .execute();
    // Retention deletes spans by activation id (UUIDv7, time-ordered), as it deletes log lines.
    await db.schema.createIndex("spans_activation").on("spans").columns(["activation_id"]).execute();
    await db.schema
      .alterTable("events")
      .addColumn("span_id", "text", (c) => c.notNull().defaultTo(""))
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable("events").dropColumn("span_id").execute();
    await db.schema.dropTable("spans").execute();
  },
};
