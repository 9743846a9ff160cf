// Log lines over Kysely: they are stored in their activations' rows (see activation-chunks.ts), so a query picks
// chunks of activations on their columns about lines (how many, their levels and time range, a LIKE on the body for
// --grep), then decodes only those and tests each line. Adapter-neutral SQL, like kysely-store.ts.
import { type Expression, type Kysely, type SqlBool, sql, type Transaction } from "kysely";
import { chunkLines, chunkOfLine, idTime, LEVEL_BITS, LINE_SLOTS, levelsFrom, lineId } from "./activation-chunks.ts";
import { activationIdsOf, chunksHolding, FIRST_PAGE, MAX_PAGE } from "./kysely-activations.ts";
import type { Database } from "./schema.ts";
import type { LogLine, LogQuery } from "./types.ts";

type Db = Kysely<Database> | Transaction<Database>;

/** How a database matches `--grep`: a LIKE on a column, and the same case folding done in JavaScript. */
export interface GrepSpelling {
  /** Whether the column holds the pattern (already folded and LIKE-escaped). */
  condition(column: "body", pattern: string): Expression<SqlBool>;
  /** The case folding the condition applies to the column, done to the pattern and to lines tested one by one. */
  fold(text: string): string;
}

const COLUMNS = ["id", "env", "function", "version", "trigger", "body"] as const;

/** ASCII letters lowercased, every other character as it is: how `--grep` ignores case (see KyselyStore.grep). */
export function foldAscii(text: string): string {
  return text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}

/** Chunks that hold lines: spelled as a literal, so the partial indexes on it (migration 019) serve the query. */
const HAS_LINES = sql<SqlBool>`lines > 0`;

/**
 * The newest `limit` lines, oldest first, when tailing; the oldest `limit` after the cursor when following, so a
 * follower never skips one. A line's id is its chunk's id, then its place (lineId), so chunks are walked in id order
 * and the walk stops once `limit` lines matched.
 */
export async function listLogs(db: Db, q: LogQuery, grep: GrepSpelling): Promise<LogLine[]> {
  const matches = lineMatcher(q, grep);
  if (q.activationId !== undefined || q.correlationId !== undefined) {
    const ids =
      q.activationId !== undefined
        ? [q.activationId]
        : await activationIdsOf(db, "correlation", q.correlationId as string);
    // Each id's lines come from its own lookup, and a correlation links an activation once: no line comes twice.
    const lines = (await Promise.all(ids.map((id) => linesOfActivation(db, q, id)))).flat().filter(matches).sort(byId);
    return q.after === undefined ? lines.slice(-q.limit) : lines.slice(0, q.limit);
  }
  let query = db.selectFrom("activation_chunks").select(COLUMNS).where("env", "=", q.env).where(HAS_LINES);
  if (q.function !== undefined) query = query.where("function", "=", q.function);
  if (q.since !== undefined) query = query.where("last_line_ts", ">=", q.since);
  if (q.until !== undefined) query = query.where("first_line_ts", "<", q.until);
  if (q.level !== undefined) query = query.where(sql<SqlBool>`(levels & ${levelsFrom(q.level)}) <> 0`);
  if (q.grep !== undefined) query = query.where(grepChunks(q.grep, grep));
  const tail = q.after === undefined;
  // Newest first when tailing, oldest first when following: `found` is kept in that order.
  let found: LogLine[] = [];
  let page = FIRST_PAGE;
  let from = tail ? undefined : chunkOfLine(q.after as number);
  for (;;) {
    const chunks = await (from === undefined ? query : query.where("id", tail ? "<" : ">=", from))
      .orderBy("id", tail ? "desc" : "asc")
      .limit(page)
      .execute();
    for (const c of chunks) {
      const lines = chunkLines(c).filter(matches);
      if (tail) lines.reverse();
      found.push(...lines);
      // Every line of the chunks still to come lies beyond these.
      if (found.length >= q.limit) {
        found = found.slice(0, q.limit);
        return tail ? found.reverse() : found;
      }
    }
    if (chunks.length < page) return tail ? found.reverse() : found;
    const last = Number((chunks.at(-1) as { id: number | string }).id);
    from = tail ? last : last + 1;
    page = Math.min(page * 2, MAX_PAGE);
  }
}

/**
 * The last id a line of the newest chunk with lines in `env` can have (see Store.logHorizon). Chunks with lines
 * become visible in the order of their ids (see insertActivationChunks), so every line to come has a larger id.
 */
export async function logHorizon(db: Db, env: string): Promise<number> {
  const row = await db
    .selectFrom("activation_chunks")
    .select((eb) => eb.fn.max("id").as("id"))
    .where("env", "=", env)
    .where(HAS_LINES)
    .executeTakeFirst();
  return row?.id == null ? 0 : lineId(Number(row.id), LINE_SLOTS - 1);
}

const byId = (x: LogLine, y: LogLine) => (x.id as number) - (y.id as number);

/** An activation's lines, from the few chunks whose span can hold it. */
async function linesOfActivation(db: Db, q: LogQuery, activationId: string): Promise<LogLine[]> {
  const ms = idTime(activationId);
  if (Number.isNaN(ms)) return [];
  let query = chunksHolding(db, activationId, ms).select(COLUMNS).where("env", "=", q.env).where(HAS_LINES);
  if (q.function !== undefined) query = query.where("function", "=", q.function);
  return (await query.execute()).flatMap((c) => chunkLines(c, activationId));
}

/** What a query asks of each decoded line (its chunk's columns only said it might match). */
function lineMatcher(q: LogQuery, grep: GrepSpelling): (l: LogLine) => boolean {
  const levels = q.level === undefined ? undefined : levelsFrom(q.level);
  // Folded as the database folds the body: a character it leaves alone must be matched as typed.
  const needle = q.grep === undefined ? undefined : grep.fold(q.grep);
  return (l) =>
    (q.function === undefined || l.function === q.function) &&
    (q.activationId === undefined || l.activationId === q.activationId) &&
    (q.correlationId === undefined || l.correlationId === q.correlationId) &&
    (q.after === undefined || (l.id as number) > q.after) &&
    (q.since === undefined || l.ts >= q.since) &&
    (q.until === undefined || l.ts < q.until) &&
    (levels === undefined || (levels & LEVEL_BITS[l.level]) !== 0) &&
    (needle === undefined ||
      grep.fold(l.message).includes(needle) ||
      (l.fields !== null && grep.fold(JSON.stringify(l.fields)).includes(needle)));
}

/**
 * Whether a chunk's body can hold a line that matches `--grep` (its activations' rows may match too: the lines are
 * then tested one by one). A message is a JSON string in the body, so it holds the needle JSON-escaped; fields are
 * JSON in the body exactly as `--grep` reads them, so they hold it as typed. JSON escapes character by character, so
 * a message that holds the needle holds its escaped form.
 */
function grepChunks(needle: string, grep: GrepSpelling): Expression<SqlBool> {
  const escaped = JSON.stringify(needle).slice(1, -1);
  // A NUL is always escaped in the body (and PostgreSQL cannot take one in a pattern).
  const spellings = [...new Set([escaped, needle])].filter((s) => !s.includes("\0"));
  const conditions = spellings.map((s) => grep.condition("body", likePattern(grep.fold(s))));
  return conditions.length === 1
    ? (conditions[0] as Expression<SqlBool>)
    : sql<SqlBool>`(${sql.join(conditions, sql` or `)})`;
}

/** A LIKE pattern for a literal substring (already folded), with the wildcards and the escape character escaped. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
