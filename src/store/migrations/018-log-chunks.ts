// Log lines move from a row each to chunks (see legacy-log-chunks.ts; 019 moved them again): the writer's cost per
// line falls from ~7.8 µs to ~0.8 µs. The lines logged before are carried over, in their order, then their table
// goes.
import { type Kysely, type Migration, PostgresAdapter } from "kysely";
import { nulSafeText, plainText } from "../text-codec.ts";
import type { LogLevel, LogLine } from "../types.ts";
import { insertLogChunks, type LegacyLogChunks, packLogLines } from "./legacy-log-chunks.ts";

const PAGE = 5000;

/** The row of the table this migration replaces. */
interface OldRow {
  id: number | string;
  activation_id: string;
  env: string;
  function: string;
  version: string;
  ts: number | string;
  level: string;
  message: string;
  fields: string | null;
  trace_id: string;
  correlation_id: string;
}

export const logChunks: Migration = {
  async up(untyped: Kysely<unknown>) {
    const db = untyped as unknown as Kysely<LegacyLogChunks>;
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await createLogChunks(untyped);

    const text = postgres ? nulSafeText : plainText;
    const old = db as unknown as Kysely<{ logs: OldRow }>;
    let after = 0;
    for (;;) {
      const rows = await old.selectFrom("logs").selectAll().where("id", ">", after).orderBy("id").limit(PAGE).execute();
      if (rows.length === 0) break;
      await insertLogChunks(db, packLogLines(rows.map((r) => fromOldRow(r, text.load))));
      after = Number((rows.at(-1) as OldRow).id);
    }
    await db.schema.dropTable("logs").execute();
  },

  async down(untyped: Kysely<unknown>) {
    const db = untyped as unknown as Kysely<LegacyLogChunks>;
    const stored = await db.selectFrom("log_chunks").select("id").limit(1).execute();
    if (stored.length > 0) throw new Error("018-log-chunks cannot be undone with log lines stored");
    await db.schema.dropTable("log_chunks").execute();
  },
};

/** The table and its indexes, empty (019's down makes it again). */
export async function createLogChunks(untyped: Kysely<unknown>): Promise<void> {
  const db = untyped as unknown as Kysely<LegacyLogChunks>;
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable("log_chunks")
    // The id orders chunks as they were written; a batch is numbered by its first chunk's (see insertLogChunks).
    .addColumn("id", postgres ? "bigserial" : "integer", (c) =>
      postgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn("batch", "bigint", (c) => c.notNull())
    .addColumn("env", "text", (c) => c.notNull())
    .addColumn("function", "text", (c) => c.notNull())
    .addColumn("first_ts", "bigint", (c) => c.notNull())
    .addColumn("last_ts", "bigint", (c) => c.notNull())
    .addColumn("first_activation", "text", (c) => c.notNull())
    .addColumn("last_activation", "text", (c) => c.notNull())
    .addColumn("count", "integer", (c) => c.notNull())
    .addColumn("levels", "integer", (c) => c.notNull())
    // Last, so a query that decides on the columns above never reads the body's overflow pages.
    .addColumn("body", "text", (c) => c.notNull())
    .execute();
  // A function's lines and an environment's, in batch order.
  await db.schema.createIndex("log_chunks_fn").on("log_chunks").columns(["env", "function", "batch", "id"]).execute();
  await db.schema.createIndex("log_chunks_env").on("log_chunks").columns(["env", "batch", "id"]).execute();
  // An activation's lines are looked up within its environment; retention cuts across them all.
  await db.schema
    .createIndex("log_chunks_env_activation")
    .on("log_chunks")
    .columns(["env", "last_activation"])
    .execute();
  await db.schema.createIndex("log_chunks_activation").on("log_chunks").column("last_activation").execute();
}

/** A line as the old table held it. */
function fromOldRow(r: OldRow, load: (t: string) => string): LogLine {
  return {
    activationId: r.activation_id,
    env: r.env,
    function: r.function,
    version: r.version,
    ts: Number(r.ts),
    level: r.level as LogLevel,
    message: load(r.message),
    fields: r.fields === null ? null : (JSON.parse(r.fields) as Record<string, unknown>),
    traceId: r.trace_id,
    correlationId: r.correlation_id,
  };
}
