// Log lines over Kysely, stored in chunks (see log-chunks.ts): written a chunk per function and batch, read by
// picking chunks on their columns and decoding only those. Adapter-neutral SQL, like kysely-store.ts.
import { type Expression, type Kysely, type SqlBool, sql, type Transaction } from "kysely";
import { endsBefore, idTime, mintedAt } from "./activation-chunks.ts";
import { activationIdsOf, isCut, PRUNE_RECORDS, type PruneBound, pruneWhole } from "./kysely-activations.ts";
import {
  BATCH_LINES,
  batchOfLine,
  LOG_LEVELS,
  levelsFrom,
  type PackedLogs,
  pruneLogChunk,
  unpackLogChunk,
} from "./log-chunks.ts";
import type { Database } from "./schema.ts";
import type { LogLine, LogQuery } from "./types.ts";

type Db = Kysely<Database> | Transaction<Database>;

/** How a database matches `--grep`: a LIKE on a column, and the same case folding done in JavaScript. */
export interface GrepSpelling {
  /** Whether the column holds the pattern (already lowercased and LIKE-escaped). */
  condition(column: "body", pattern: string): Expression<SqlBool>;
  /** The case folding the condition applies to the column (the pattern is lowercased), to test lines the same way. */
  fold(text: string): string;
}

const COLUMNS = ["id", "batch", "env", "function", "body"] as const;

/** Pave's advisory-lock key for writing log chunks: the first 8 bytes of sha256("pave:log-order"), signed. */
const LOG_ORDER_KEY = 3_971_670_857_727_521_733n;

/** 12 values a chunk: 500 chunks stay well under SQLite's 32766 bound parameters a statement. */
const CHUNKS_PER_INSERT = 500;

/**
 * Writes a batch's chunks of lines. A batch is numbered by the id its first chunk gets, which the store hands out in
 * increasing order, so line ids (batch × BATCH_LINES + place) increase from batch to batch.
 *
 * `ordered` (PostgreSQL, where several nodes write): ids must also become visible in that order, or a follower that
 * read one node's batch would pass over another's smaller ids committed just after. So a transaction takes a lock
 * before its first id and holds it to its commit: PostgreSQL makes a transaction visible before it releases its
 * locks, so the next writer's ids are both larger and later. Called last in its transaction, and in two statements
 * (all chunks, then their batch number) whatever their number, to hold the lock briefly. SQLite has a single
 * writer: its ids already commit in order.
 */
export async function insertLogChunks(db: Db, packed: PackedLogs, ordered = false): Promise<void> {
  if (packed.chunks.length === 0) return;
  if (ordered) await sql`select pg_advisory_xact_lock(${sql.lit(LOG_ORDER_KEY)})`.execute(db);
  const ids: number[] = [];
  for (let i = 0; i < packed.chunks.length; i += CHUNKS_PER_INSERT) {
    const rows = await db
      .insertInto("log_chunks")
      .values(packed.chunks.slice(i, i + CHUNKS_PER_INSERT).map((c) => ({ ...c, batch: 0 })))
      .returning("id")
      .execute();
    // Ids are handed out in the rows' order; RETURNING's own order is not promised.
    ids.push(...rows.map((r) => Number(r.id)).sort((x, y) => x - y));
  }
  // Each batch (normally the only one) takes its first chunk's id as its number, set on all its chunks at once.
  let first = 0;
  for (let i = 1; i <= ids.length; i++) {
    if (i < ids.length && !packed.starts[i]) continue;
    const chunks = ids.slice(first, i);
    await db
      .updateTable("log_chunks")
      .set({ batch: chunks[0] as number })
      .where("id", "in", chunks)
      .execute();
    first = i;
  }
}

/** The first page of chunks a listing decodes; each next page is twice as many, up to MAX_PAGE. */
const FIRST_PAGE = 2;
const MAX_PAGE = 32;

/**
 * The newest `limit` lines, oldest first, when tailing; the oldest `limit` after the cursor when following, so a
 * follower never skips one. Line ids order lines exactly (batch, then place in it), so chunks are walked in batch
 * order, and the walk stops once `limit` lines matched in batches before the next chunk's.
 */
export async function listLogs(db: Db, q: LogQuery, grep: GrepSpelling): Promise<LogLine[]> {
  const matches = lineMatcher(q, grep);
  if (q.activationId !== undefined || q.correlationId !== undefined) {
    const ids =
      q.activationId !== undefined
        ? [q.activationId]
        : await activationIdsOf(db, "correlation", q.correlationId as string);
    // Each id's lines come from its own lookup, and a correlation links an activation once: no line comes twice.
    const lines = (await Promise.all(ids.map((id) => chunksOfActivation(db, q, id)))).flat().filter(matches).sort(byId);
    return q.after === undefined ? lines.slice(-q.limit) : lines.slice(0, q.limit);
  }
  let query = db.selectFrom("log_chunks").select(COLUMNS).where("env", "=", q.env);
  if (q.function !== undefined) query = query.where("function", "=", q.function);
  if (q.since !== undefined) query = query.where("last_ts", ">=", q.since);
  if (q.until !== undefined) query = query.where("first_ts", "<", q.until);
  if (q.level !== undefined) query = query.where(sql<SqlBool>`(levels & ${levelsFrom(q.level)}) <> 0`);
  if (q.grep !== undefined) query = query.where(grepChunks(q.grep, grep));
  const tail = q.after === undefined;
  if (!tail) query = query.where("batch", ">=", batchOfLine(q.after as number));
  // Newest first when tailing, oldest first when following: `found` is kept in that order and cut to `limit`.
  const first = tail ? (x: LogLine, y: LogLine) => (y.id as number) - (x.id as number) : byId;
  let found: LogLine[] = [];
  let page = FIRST_PAGE;
  let from: { batch: number; id: number } | undefined;
  for (;;) {
    const next = from;
    const chunks = await (next === undefined
      ? query
      : // A row value reads one index range, where an OR of the two did not (see kysely-activations.ts olderThan).
        query
          .where("batch", tail ? "<=" : ">=", next.batch)
          .where((eb) => eb(eb.refTuple("batch", "id"), tail ? "<" : ">", eb.tuple(next.batch, next.id)))
    )
      .orderBy("batch", tail ? "desc" : "asc")
      .orderBy("id", tail ? "desc" : "asc")
      .limit(page)
      .execute();
    for (const c of chunks) {
      // A batch's chunks hold ids of that batch only: once `limit` lines lie beyond this chunk's batch, stop.
      const edge = found[q.limit - 1];
      const batch = Number(c.batch);
      if (
        edge !== undefined &&
        (tail ? batchOfLine(edge.id as number) > batch : batchOfLine(edge.id as number) < batch)
      ) {
        return tail ? found.reverse() : found;
      }
      for (const l of unpackLogChunk(c)) if (matches(l)) found.push(l);
      found.sort(first);
      if (found.length > q.limit) found = found.slice(0, q.limit);
    }
    if (chunks.length < page) return tail ? found.reverse() : found;
    const last = chunks.at(-1) as { batch: number | string; id: number | string };
    from = { batch: Number(last.batch), id: Number(last.id) };
    page = Math.min(page * 2, MAX_PAGE);
  }
}

/**
 * The last id a line of the newest batch of `env` can have (see Store.logHorizon). Batches become visible in the order
 * of their numbers (see insertLogChunks), so every line of a later batch has a larger id.
 */
export async function logHorizon(db: Db, env: string): Promise<number> {
  const row = await db
    .selectFrom("log_chunks")
    .select((eb) => eb.fn.max("batch").as("batch"))
    .where("env", "=", env)
    .executeTakeFirst();
  return row?.batch == null ? 0 : (Number(row.batch) + 1) * BATCH_LINES - 1;
}

const byId = (x: LogLine, y: LogLine) => (x.id as number) - (y.id as number);

/** The lines of the chunks that can hold an activation's: those whose activation range holds its id. */
async function chunksOfActivation(db: Db, q: LogQuery, activationId: string): Promise<LogLine[]> {
  const ms = idTime(activationId);
  if (Number.isNaN(ms)) return [];
  let query = db
    .selectFrom("log_chunks")
    .select(COLUMNS)
    .where("env", "=", q.env)
    .where("last_activation", ">=", activationId)
    .where("last_activation", "<", endsBefore(ms))
    .where("first_activation", "<=", activationId);
  if (q.function !== undefined) query = query.where("function", "=", q.function);
  return (await query.execute()).flatMap((c) => unpackLogChunk(c).filter((l) => l.activationId === activationId));
}

/** What a query asks of each decoded line (its chunk's columns only said it might match). */
function lineMatcher(q: LogQuery, grep: GrepSpelling): (l: LogLine) => boolean {
  const levels = q.level === undefined ? undefined : LOG_LEVELS.slice(LOG_LEVELS.indexOf(q.level));
  const needle = q.grep?.toLowerCase();
  return (l) =>
    (q.function === undefined || l.function === q.function) &&
    (q.activationId === undefined || l.activationId === q.activationId) &&
    (q.correlationId === undefined || l.correlationId === q.correlationId) &&
    (q.after === undefined || (l.id as number) > q.after) &&
    (q.since === undefined || l.ts >= q.since) &&
    (q.until === undefined || l.ts < q.until) &&
    (levels === undefined || levels.includes(l.level)) &&
    (needle === undefined ||
      grep.fold(l.message).includes(needle) ||
      (l.fields !== null && grep.fold(JSON.stringify(l.fields)).includes(needle)));
}

/**
 * Whether a chunk's body can hold a line that matches `--grep`. A message is a JSON string in the body, so it holds
 * the needle JSON-escaped; fields are JSON in the body exactly as `--grep` reads them, so they hold it as typed.
 * JSON escapes character by character, so a message that holds the needle holds its escaped form.
 */
function grepChunks(needle: string, grep: GrepSpelling): Expression<SqlBool> {
  const escaped = JSON.stringify(needle).slice(1, -1);
  // A NUL is always escaped in the body (and PostgreSQL cannot take one in a pattern).
  const spellings = [...new Set([escaped, needle])].filter((s) => !s.includes("\0"));
  const conditions = spellings.map((s) => grep.condition("body", likePattern(s)));
  return conditions.length === 1
    ? (conditions[0] as Expression<SqlBool>)
    : sql<SqlBool>`(${sql.join(conditions, sql` or `)})`;
}

/** A LIKE pattern for a literal substring: lowercased, with the wildcards and the escape character escaped. */
function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Deletes the lines of the activations beyond the bound: whole chunks, and lines of chunks that straddle it. */
export async function pruneLogChunks(db: Db, cut: PruneBound): Promise<number> {
  const op = cut.inclusive ? "<=" : "<";
  let removed = await pruneWhole(
    () =>
      db
        .selectFrom("log_chunks")
        .select(["id", "count"])
        .where("last_activation", op, cut.bound)
        .limit(PRUNE_RECORDS)
        .execute(),
    async (ids) => {
      await db.deleteFrom("log_chunks").where("id", "in", ids).execute();
    },
  );
  const straddling = await db
    .selectFrom("log_chunks")
    .select(COLUMNS)
    .where("last_activation", "<", endsBefore(mintedAt(cut.bound)))
    .where("first_activation", op, cut.bound)
    .execute();
  for (const c of straddling) {
    const { rest, removed: lines } = pruneLogChunk(c.body, (id) => isCut(cut, id));
    removed += lines;
    if (rest === undefined) await db.deleteFrom("log_chunks").where("id", "=", c.id).execute();
    else await db.updateTable("log_chunks").set(rest).where("id", "=", c.id).execute();
  }
  return removed;
}
