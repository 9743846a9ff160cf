// Log lines move into their activations' rows (see activation-chunks.ts): packing a line stops being the work of a
// record of its own, and recording costs the gateway's thread 30% less. Each chunk of activations gets the columns
// log queries pick it by; the lines 018 chunked are carried into the rows of their activations, in their order (each
// chunk written anew, in id order, split where it holds more than a chunk may), then log_chunks goes. One transaction: a migration cut short leaves the store as it was (SQLite's migrations run
// outside one; PostgreSQL's are one already).
//
// Lines are renumbered: today's ids start at LINE_ID_BASE, so a cursor from before is told apart and a follower that
// resumes from one goes on from the newest line (see api/follow.ts).
import { type Kysely, type Migration, type SqlBool, sql, type Transaction } from "kysely";
import { type ChunkKey, endsBefore, mintedAt, packActivations, unpackChunk } from "../activation-chunks.ts";
import { insertActivationChunks } from "../kysely-activations.ts";
import type { Database } from "../schema.ts";
import type { LogLine } from "../types.ts";
import { createLogChunks } from "./018-log-chunks.ts";
import { type LegacyLogChunks, unpackLogChunk } from "./legacy-log-chunks.ts";

/** Chunks of activations carried over per read. */
const PAGE = 200;

/**
 * Decoded log chunks kept while carrying, the most recently used: neighbouring chunks of activations (a batch's
 * versions and triggers) read the same few, and a decoded chunk of 4096 lines can take megabytes.
 */
const DECODED_KEPT = 16;

type Before = Database & LegacyLogChunks;

/** Runs `work` in a transaction: the one PostgreSQL's migrator opened, or one of its own on SQLite. */
function atomically<T>(db: Kysely<Before>, work: (tx: Kysely<Before>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute((tx: Transaction<Before>) => work(tx));
}

export const linesInActivations: Migration = {
  up: (untyped: Kysely<unknown>) =>
    atomically(untyped as unknown as Kysely<Before>, async (db) => {
      for (const column of ["lines", "levels", "first_line_ts", "last_line_ts"]) {
        await db.schema
          .alterTable("activation_chunks")
          .addColumn(column, column.endsWith("ts") ? "bigint" : "integer", (c) => c.notNull().defaultTo(0))
          .execute();
      }
      // An environment's lines and a function's, in id order (a follower's, a tail's): only chunks that hold any.
      // They hold the columns a query filters on: on SQLite the columns added here come after the body, and reading
      // them from the table would walk each body's overflow pages.
      for (const [name, key] of [
        ["activation_chunks_env_lines", ["env", "id"]],
        ["activation_chunks_fn_lines", ["env", "function", "id"]],
      ] as const) {
        await db.schema
          .createIndex(name)
          .on("activation_chunks")
          .columns([...key, "levels", "first_line_ts", "last_line_ts"])
          .where(sql<SqlBool>`lines > 0`)
          .execute();
      }

      // Only the chunks there before: each is written anew after them (see carryLines).
      const last = await db
        .selectFrom("activation_chunks")
        .select((eb) => eb.fn.max("id").as("id"))
        .executeTakeFirst();
      const decoded = new Map<number, LogLine[]>();
      let after = 0;
      for (;;) {
        const chunks = await db
          .selectFrom("activation_chunks")
          .select(["id", "env", "function", "version", "trigger", "first_id", "last_id", "body"])
          .where("id", ">", after)
          .where("id", "<=", Number(last?.id ?? 0))
          .orderBy("id")
          .limit(PAGE)
          .execute();
        if (chunks.length === 0) break;
        for (const c of chunks) await carryLines(db, c, decoded);
        after = Number((chunks.at(-1) as { id: number }).id);
      }
      await db.schema.dropTable("log_chunks").execute();
    }),

  down: (untyped: Kysely<unknown>) =>
    atomically(untyped as unknown as Kysely<Before>, async (db) => {
      const logged = await db.selectFrom("activation_chunks").select("id").where("lines", ">", 0).limit(1).execute();
      if (logged.length > 0) throw new Error("019-lines-in-activations cannot be undone with log lines stored");
      // Bodies written since are format 3, which 018's reader does not take: written back as format 2, a page at a time.
      let after = 0;
      for (;;) {
        const bodies = await db
          .selectFrom("activation_chunks")
          .select(["id", "body"])
          .where("id", ">", after)
          .where("body", "like", "[3,%")
          .orderBy("id")
          .limit(PAGE)
          .execute();
        if (bodies.length === 0) break;
        for (const c of bodies) {
          await db
            .updateTable("activation_chunks")
            .set({ body: toFormat2(c.body) })
            .where("id", "=", c.id)
            .execute();
        }
        after = Number((bodies.at(-1) as { id: number }).id);
      }
      await db.schema.dropIndex("activation_chunks_fn_lines").execute();
      await db.schema.dropIndex("activation_chunks_env_lines").execute();
      for (const column of ["last_line_ts", "first_line_ts", "levels", "lines"]) {
        await db.schema.alterTable("activation_chunks").dropColumn(column).execute();
      }
      // The table 018 made, empty, as it was.
      await createLogChunks(db as unknown as Kysely<unknown>);
    }),
};

/** A format 3 body without lines as format 2: each row without its (empty) lines slot, and no gaps. */
function toFormat2(body: string): string {
  const [, ...rows] = JSON.parse(body) as [number, ...unknown[]];
  const out: unknown[] = [2];
  for (const r of rows) {
    if (!Array.isArray(r)) continue;
    if (r.length > 10) r.splice(10, 1);
    out.push(r);
  }
  return JSON.stringify(out);
}

/**
 * Writes a chunk anew at the end of the table, with the lines its activations logged (found in the log chunks whose
 * range overlaps its own), then deletes it. Every chunk is moved so, in id order: line ids follow chunk ids, and a
 * chunk whose lines are more than one may hold (LINE_SLOTS, CHUNK_MAX_BYTES) is split into parts with consecutive
 * ids, in their place among the others rather than after all of them. Its activations' links follow their part.
 */
async function carryLines(
  db: Kysely<Before>,
  c: ChunkKey & { id: number | string; first_id: string; last_id: string; body: string },
  decoded: Map<number, LogLine[]>,
): Promise<void> {
  const logChunks = await db
    .selectFrom("log_chunks")
    .select("id")
    .where("env", "=", c.env)
    .where("last_activation", ">=", c.first_id)
    .where("last_activation", "<", endsBefore(mintedAt(c.last_id)))
    .where("first_activation", "<=", c.last_id)
    .where("function", "=", c.function)
    .execute();
  const activations = unpackChunk(c);
  const ids = new Set(activations.map((a) => a.id));
  const lines: LogLine[] = [];
  for (const l of logChunks) {
    for (const line of await decodedLines(db, Number(l.id), decoded)) if (ids.has(line.activationId)) lines.push(line);
  }
  lines.sort((x, y) => (x.id as number) - (y.id as number));
  const id = Number(c.id);
  await db.deleteFrom("activation_links").where("chunk_id", "=", id).execute();
  await db.deleteFrom("activation_chunks").where("id", "=", id).execute();
  // Its parts and their links, as the recorder writes them (links a thousand a statement).
  await insertActivationChunks(db as unknown as Kysely<Database>, packActivations(activations, lines));
}

/** A log chunk's lines, decoded once while its neighbours need it. */
async function decodedLines(db: Kysely<Before>, id: number, decoded: Map<number, LogLine[]>): Promise<LogLine[]> {
  const known = decoded.get(id);
  if (known) {
    // Most recently used last: the first is the one to go.
    decoded.delete(id);
    decoded.set(id, known);
    return known;
  }
  const chunk = await db
    .selectFrom("log_chunks")
    .select(["batch", "env", "function", "body"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  const lines = unpackLogChunk(chunk);
  decoded.set(id, lines);
  if (decoded.size > DECODED_KEPT) decoded.delete(decoded.keys().next().value as number);
  return lines;
}
