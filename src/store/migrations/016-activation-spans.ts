// An invocation's own span is made from its activation rather than stored twice: the activation keeps the span's id,
// its parent, its start on the span clock, and the request's method and path (its name and HTTP attributes). The
// spans table keeps the spans of the binding calls. Writing a second row per invocation was a third of what recording
// cost (see docs/traces.md). Activations recorded before this keep their span where it was written, in spans.
import type { Kysely, Migration } from "kysely";

const COLUMNS = [
  ["span_id", "text"],
  ["parent_span_id", "text"],
  ["span_started_at", "double precision"],
  ["http_method", "text"],
  ["http_path", "text"],
] as const;

export const activationSpans: Migration = {
  async up(db: Kysely<unknown>) {
    // span_started_at: fractional epoch ms, the clock child spans are timed on.
    for (const [column, type] of COLUMNS) await db.schema.alterTable("activations").addColumn(column, type).execute();
  },
  async down(db: Kysely<unknown>) {
    for (const [column] of [...COLUMNS].reverse())
      await db.schema.alterTable("activations").dropColumn(column).execute();
  },
};
