// Log lines move into their activations' rows (see activation-chunks.ts): packing a line stops being the work of a
// record of its own, and recording costs the gateway's thread 30% less. Each chunk of activations gets the columns
// log queries pick it by; the lines 018 chunked are carried into the rows of their activations, in their order, then
// log_chunks goes.
//
// A line's id changes with it (now its chunk's id × LINE_SLOTS + its place): a follower that resumes from a cursor of
// before lands beyond every id and is brought back to the newest line (see api/follow.ts).
import { type Kysely, type Migration, type SqlBool, sql } from "kysely";
import { type ChunkKey, endsBefore, LINE_SLOTS, mintedAt, packActivations, unpackChunk } from "../activation-chunks.ts";
import type { Database } from "../schema.ts";
import type { LogLine } from "../types.ts";
import { createLogChunks } from "./018-log-chunks.ts";
import { type LegacyLogChunks, unpackLogChunk } from "./legacy-log-chunks.ts";

/** Chunks of activations carried over per read. */
const PAGE = 200;

type Before = Database & LegacyLogChunks;

export const linesInActivations: Migration = {
  async up(untyped: Kysely<unknown>) {
    const db = untyped as unknown as Kysely<Before>;
    for (const column of ["lines", "levels", "first_line_ts", "last_line_ts"]) {
      await db.schema
        .alterTable("activation_chunks")
        .addColumn(column, column.endsWith("ts") ? "bigint" : "integer", (c) => c.notNull().defaultTo(0))
        .execute();
    }
    // An environment's lines and a function's, in id order (a follower's, a tail's): only chunks that hold any.
    await db.schema
      .createIndex("activation_chunks_env_lines")
      .on("activation_chunks")
      .columns(["env", "id"])
      .where(sql<SqlBool>`lines > 0`)
      .execute();
    await db.schema
      .createIndex("activation_chunks_fn_lines")
      .on("activation_chunks")
      .columns(["env", "function", "id"])
      .where(sql<SqlBool>`lines > 0`)
      .execute();

    let after = 0;
    for (;;) {
      const chunks = await db
        .selectFrom("activation_chunks")
        .select(["id", "env", "function", "version", "trigger", "first_id", "last_id", "body"])
        .where("id", ">", after)
        .orderBy("id")
        .limit(PAGE)
        .execute();
      if (chunks.length === 0) break;
      for (const c of chunks) await carryLines(db, c);
      after = Number((chunks.at(-1) as { id: number }).id);
    }
    await db.schema.dropTable("log_chunks").execute();
  },

  async down(untyped: Kysely<unknown>) {
    const db = untyped as unknown as Kysely<Database>;
    const logged = await db.selectFrom("activation_chunks").select("id").where("lines", ">", 0).limit(1).execute();
    if (logged.length > 0) throw new Error("019-lines-in-activations cannot be undone with log lines stored");
    await db.schema.dropIndex("activation_chunks_fn_lines").execute();
    await db.schema.dropIndex("activation_chunks_env_lines").execute();
    for (const column of ["last_line_ts", "first_line_ts", "levels", "lines"]) {
      await db.schema.alterTable("activation_chunks").dropColumn(column).execute();
    }
    // The table 018 made, empty, as it was.
    await createLogChunks(untyped);
  },
};

/** Rewrites a chunk with the lines its activations logged, found in the log chunks whose range overlaps its own. */
async function carryLines(
  db: Kysely<Before>,
  c: ChunkKey & { id: number | string; first_id: string; last_id: string; body: string },
): Promise<void> {
  const logChunks = await db
    .selectFrom("log_chunks")
    .select(["batch", "env", "function", "body"])
    .where("env", "=", c.env)
    .where("last_activation", ">=", c.first_id)
    .where("last_activation", "<", endsBefore(mintedAt(c.last_id)))
    .where("first_activation", "<=", c.last_id)
    .where("function", "=", c.function)
    .execute();
  if (logChunks.length === 0) return;
  const activations = unpackChunk(c);
  const ids = new Set(activations.map((a) => a.id));
  const lines: LogLine[] = logChunks
    .flatMap((l) => unpackLogChunk(l))
    .filter((l) => ids.has(l.activationId))
    .sort((x, y) => (x.id as number) - (y.id as number));
  if (lines.length === 0) return;
  // The chunk was cut to fit LINE_SLOTS when it was written only if it had to be: one that holds more is kept whole,
  // its lines beyond the slots dropped (no activation logs so many unless the runtime's limits were raised).
  const [packed] = packActivations(activations, lines.slice(0, LINE_SLOTS)).chunks;
  if (packed === undefined) return;
  const { lines: count, levels, first_line_ts, last_line_ts, body } = packed;
  await db
    .updateTable("activation_chunks")
    .set({ lines: count, levels, first_line_ts, last_line_ts, body })
    .where("id", "=", Number(c.id))
    .execute();
}
