// Per-minute rollups of activations: one row per (env, function, version, minute) with counts, sums and a duration
// histogram, so metrics over days read thousands of small rows instead of millions of activations.
import type { Kysely, Migration } from "kysely";
import { HISTOGRAM_COLUMNS } from "../rollup-buckets.ts";

export const rollups: Migration = {
  async up(db: Kysely<unknown>) {
    // The histogram is a column per bucket, not a JSON array: an upsert can then add a batch's counts in SQL
    // (`h3 = h3 + excluded.h3`) on SQLite and PostgreSQL alike, with no read-modify-write for concurrent nodes to race.
    let table = db.schema
      .createTable("rollups")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("function", "text", (c) => c.notNull())
      .addColumn("version", "text", (c) => c.notNull())
      .addColumn("minute", "bigint", (c) => c.notNull())
      .addColumn("count", "integer", (c) => c.notNull())
      .addColumn("errors", "integer", (c) => c.notNull())
      .addColumn("cold_starts", "integer", (c) => c.notNull())
      .addColumn("throttles", "integer", (c) => c.notNull())
      .addColumn("duration_ms", "double precision", (c) => c.notNull())
      .addColumn("billed_ms", "bigint", (c) => c.notNull())
      .addColumn("gb_seconds", "double precision", (c) => c.notNull());
    for (const h of HISTOGRAM_COLUMNS) table = table.addColumn(h, "integer", (c) => c.notNull().defaultTo(0));
    await table.addPrimaryKeyConstraint("rollups_pk", ["env", "function", "version", "minute"]).execute();
    // A function's series merges its versions: served by (env, function, minute). The all-functions summary and
    // retention read by time alone.
    await db.schema.createIndex("rollups_fn").on("rollups").columns(["env", "function", "minute"]).execute();
    await db.schema.createIndex("rollups_minute").on("rollups").columns(["minute"]).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("rollups").execute();
  },
};
