// Activations over Kysely, stored in chunks (see activation-chunks.ts): written a chunk per key and batch, read by
// decoding the few chunks a query can touch. Adapter-neutral SQL, like kysely-store.ts.
import { type ExpressionBuilder, type Insertable, type Kysely, sql, type Transaction } from "kysely";
import {
  activationOfTrace,
  endsBefore,
  idTime,
  type LinkRow,
  mintedAt,
  pruneChunk,
  unpackChunk,
  uuidv7Floor,
} from "./activation-chunks.ts";
import type { Database } from "./schema.ts";
import type { Activation, ActivationQuery, UsageQuery, UsageRow } from "./types.ts";

type Db = Kysely<Database> | Transaction<Database>;

/** What a query reads of a chunk to decode it: its key and body, and its id and last id (a walk's cursor). */
const WHOLE = ["id", "env", "function", "version", "trigger", "last_id", "body"] as const;

/** SQLite allows at most 32766 bound parameters per statement: 4 a link, so 1000 links an insert. */
const LINKS_PER_INSERT = 1000;

/** Pave's advisory-lock key for writing chunks with lines: the first 8 bytes of sha256("pave:log-order"), signed. */
const LOG_ORDER_KEY = 3_971_670_857_727_521_733n;

/**
 * Writes a batch's chunks, then its links with the ids the chunks were given.
 *
 * `ordered` (PostgreSQL, where several nodes write): a line's id is its chunk's id, then its place (lineId), and ids
 * of chunks with lines must also become visible in their order, or a follower that read one node's chunk would pass
 * over another's smaller ids committed just after. So a transaction that writes lines takes a lock before its first
 * id and holds it to its commit: PostgreSQL makes a transaction visible before it releases its locks, so the next
 * writer's ids are both larger and later. Called last in its transaction, to hold the lock briefly. SQLite has a
 * single writer: its ids already commit in order.
 */
export async function insertActivationChunks(
  db: Db,
  packed: { chunks: Insertable<Database["activation_chunks"]>[]; links: LinkRow[] },
  ordered = false,
): Promise<void> {
  if (ordered && packed.chunks.some((c) => Number(c.lines ?? 0) > 0)) {
    await sql`select pg_advisory_xact_lock(${sql.lit(LOG_ORDER_KEY)})`.execute(db);
  }
  const ids: number[] = [];
  for (const chunk of packed.chunks) {
    const row = await db.insertInto("activation_chunks").values(chunk).returning("id").executeTakeFirstOrThrow();
    ids.push(Number(row.id));
  }
  for (let i = 0; i < packed.links.length; i += LINKS_PER_INSERT) {
    await db
      .insertInto("activation_links")
      .values(
        packed.links.slice(i, i + LINKS_PER_INSERT).map((l) => ({
          kind: l.kind,
          key: l.key,
          activation_id: l.activation_id,
          chunk_id: ids[l.chunk] as number,
        })),
      )
      .execute();
  }
}

/**
 * The chunks that can hold the activation with this id (a UUIDv7 minted at `ms`): those whose id range holds it, found
 * by their last id, which lies within CHUNK_SPAN_MS after it.
 */
export function chunksHolding(db: Db, id: string, ms: number) {
  return db
    .selectFrom("activation_chunks")
    .where("last_id", ">=", id)
    .where("last_id", "<", endsBefore(ms))
    .where("first_id", "<=", id);
}

/** The activation with this id, from the few chunks whose span can hold it. */
export async function getActivation(db: Db, id: string): Promise<Activation | undefined> {
  const ms = idTime(id);
  if (Number.isNaN(ms)) return undefined;
  for (const c of await chunksHolding(db, id, ms).select(WHOLE).execute()) {
    const found = unpackChunk(c).find((a) => a.id === id);
    if (found) return found;
  }
  return undefined;
}

/**
 * The ids of the activations that may have this trace or correlation id: the one whose own id it is (if any such
 * activation exists, and if it kept its own) and those linked to it.
 */
export async function activationIdsOf(db: Db, kind: "trace" | "correlation", key: string): Promise<string[]> {
  const own = kind === "trace" ? activationOfTrace(key) : idTime(key) >= 0 ? key : undefined;
  const links = await db
    .selectFrom("activation_links")
    .select("activation_id")
    .where("kind", "=", kind)
    .where("key", "=", key)
    .execute();
  const ids = links.map((l) => l.activation_id);
  if (own !== undefined) ids.push(own);
  return ids;
}

/** Every activation in a trace (or with a correlation id): the one whose own id it is, and those linked to it. */
async function linked(db: Db, kind: "trace" | "correlation", key: string): Promise<Activation[]> {
  const ids = await activationIdsOf(db, kind, key);
  const found = await Promise.all(ids.map((id) => getActivation(db, id)));
  return found.filter(
    (a): a is Activation => a !== undefined && (kind === "trace" ? a.traceId : a.correlationId) === key,
  );
}

/** Every activation of a trace, in no particular order. */
export function traceActivations(db: Db, traceId: string): Promise<Activation[]> {
  return linked(db, "trace", traceId);
}

/** What a query asks of each activation, once its chunk is decoded (the chunk's key already matched). */
function matcher(q: ActivationQuery): (a: Activation) => boolean {
  const since = q.since === undefined ? undefined : uuidv7Floor(q.since);
  const until = q.until === undefined ? undefined : uuidv7Floor(q.until);
  return (a) =>
    a.env === q.env &&
    (q.function === undefined || a.function === q.function) &&
    (q.status === undefined || a.status === q.status) &&
    (q.version === undefined || a.version === q.version) &&
    (q.trigger === undefined || a.trigger === q.trigger) &&
    (q.traceId === undefined || a.traceId === q.traceId) &&
    (q.correlationId === undefined || a.correlationId === q.correlationId) &&
    (since === undefined || a.id >= since) &&
    (until === undefined || a.id < until) &&
    (q.before === undefined || a.id < q.before);
}

type Cursor = { last_id: string; id: number | string };

/**
 * Chunks before a cursor in (last id, id) order, newest first. As a row value, so the database reads one index range
 * (the plain `last_id <=` beside it says so to planners that do not read row values); an OR of the two did not.
 */
function olderThan(c: Cursor) {
  return (eb: ExpressionBuilder<Database, "activation_chunks">) =>
    eb(eb.refTuple("last_id", "id"), "<", eb.tuple(c.last_id, Number(c.id)));
}

const newestFirst = (x: Activation, y: Activation) => (x.id < y.id ? 1 : x.id > y.id ? -1 : 0);

/** The first page of chunks a list decodes; each next page is twice as many, up to MAX_PAGE. */
export const FIRST_PAGE = 2;
export const MAX_PAGE = 32;

/**
 * Newest first. Chunks are read newest (by last id) first; since chunks overlap in time, the walk stops only once
 * the next chunk's newest activation is older than the `limit`-th found so far.
 */
export async function listActivations(db: Db, q: ActivationQuery): Promise<Activation[]> {
  const matches = matcher(q);
  if (q.traceId !== undefined || q.correlationId !== undefined) {
    const [kind, key] =
      q.traceId !== undefined ? (["trace", q.traceId] as const) : (["correlation", q.correlationId as string] as const);
    return (await linked(db, kind, key)).filter(matches).sort(newestFirst).slice(0, q.limit);
  }
  let query = db.selectFrom("activation_chunks").select(WHOLE).where("env", "=", q.env);
  if (q.function !== undefined) query = query.where("function", "=", q.function);
  if (q.version !== undefined) query = query.where("version", "=", q.version);
  if (q.trigger !== undefined) query = query.where("trigger", "=", q.trigger);
  if (q.status === "error") query = query.where("errors", ">", 0);
  if (q.status === "success") query = query.whereRef("errors", "<", "count");
  if (q.since !== undefined) query = query.where("last_id", ">=", uuidv7Floor(q.since));
  if (q.until !== undefined) {
    query = query.where("first_id", "<", uuidv7Floor(q.until)).where("last_id", "<", endsBefore(q.until));
  }
  if (q.before !== undefined) {
    query = query.where("first_id", "<", q.before);
    const ms = idTime(q.before);
    if (!Number.isNaN(ms)) query = query.where("last_id", "<", endsBefore(ms));
  }
  let found: Activation[] = [];
  let page = FIRST_PAGE;
  let after: Cursor | undefined;
  for (;;) {
    const from = after;
    const chunks = await (from === undefined
      ? query
      : query.where("last_id", "<=", from.last_id).where(olderThan(from))
    )
      .orderBy("last_id", "desc")
      .orderBy("id", "desc")
      .limit(page)
      .execute();
    for (const c of chunks) {
      if (found.length >= q.limit && c.last_id < (found[q.limit - 1] as Activation).id) return found;
      for (const a of unpackChunk(c)) if (matches(a)) found.push(a);
      found.sort(newestFirst);
      if (found.length > q.limit) found = found.slice(0, q.limit);
    }
    if (chunks.length < page) return found;
    after = chunks.at(-1);
    page = Math.min(page * 2, MAX_PAGE);
  }
}

const USAGE_COLUMNS = {
  function: ["env", "function"],
  version: ["env", "function", "version"],
  env: ["env"],
  trigger: ["env", "trigger"],
} as const;

/**
 * Invocations, errors and GB-seconds per group over [since, until). The chunks wholly inside are summed by the
 * database from their totals; the few that straddle an end are decoded and counted activation by activation.
 */
export async function usage(db: Db, q: UsageQuery): Promise<UsageRow[]> {
  const lo = uuidv7Floor(q.since);
  const hi = uuidv7Floor(q.until);
  const columns = [...USAGE_COLUMNS[q.by]];
  let inside = db
    .selectFrom("activation_chunks")
    .select(columns)
    .select((eb) => [
      eb.fn.sum<number>("count").as("invocations"),
      eb.fn.sum<number>("errors").as("errors"),
      eb.fn.sum<number>("gb_seconds").as("gb_seconds"),
    ])
    .where("first_id", ">=", lo)
    .where("last_id", "<", hi)
    .groupBy(columns);
  // The chunks that straddle an end: they start before it and, spanning at most CHUNK_SPAN_MS, end soon after.
  const straddling = (at: number, from: string) => {
    const edge = db
      .selectFrom("activation_chunks")
      .select(WHOLE)
      .where("last_id", ">=", from)
      .where("last_id", "<", endsBefore(at))
      .where("first_id", "<", uuidv7Floor(at));
    return q.env === undefined ? edge : edge.where("env", "=", q.env);
  };
  if (q.env !== undefined) inside = inside.where("env", "=", q.env);
  const groups = new Map<string, UsageRow>();
  const add = (a: Pick<Activation, "env" | "function" | "version" | "trigger">, n: number, e: number, gb: number) => {
    const key =
      q.by === "function"
        ? `${a.env}/${a.function}`
        : q.by === "version"
          ? `${a.function}@${a.version}`
          : q.by === "trigger"
            ? a.trigger
            : a.env;
    // One group per key within an environment; `env` groups (and trigger ones) span functions.
    const id = `${a.env}\n${key}`;
    let g = groups.get(id);
    if (!g) {
      g = {
        key,
        env: a.env,
        function: q.by === "function" || q.by === "version" ? a.function : null,
        invocations: 0,
        errors: 0,
        gbSeconds: 0,
      };
      groups.set(id, g);
    }
    g.invocations += n;
    g.errors += e;
    g.gbSeconds += gb;
  };
  for (const r of (await inside.execute()) as unknown as (Record<string, string> & {
    invocations: number | string;
    errors: number | string | null;
    gb_seconds: number | string | null;
  })[]) {
    add(
      {
        env: r.env as string,
        function: r.function as string,
        version: r.version as string,
        trigger: r.trigger as Activation["trigger"],
      },
      Number(r.invocations),
      Number(r.errors ?? 0),
      Number(r.gb_seconds ?? 0),
    );
  }
  const [low, high] = await Promise.all([straddling(q.since, lo).execute(), straddling(q.until, hi).execute()]);
  const edges = new Map([...low, ...high].map((c) => [Number(c.id), c]));
  for (const c of edges.values()) {
    for (const a of unpackChunk(c)) {
      if (a.id >= lo && a.id < hi) add(a, 1, a.status === "error" ? 1 : 0, a.gbSeconds);
    }
  }
  return [...groups.values()];
}

/** Where retention cuts: activations below `bound` (or at it, when inclusive) go. */
export interface PruneBound {
  bound: string;
  inclusive: boolean;
}

/** Whether retention at `cut` removes the activation with this id. */
export function isCut(cut: PruneBound, id: string): boolean {
  return cut.inclusive ? id <= cut.bound : id < cut.bound;
}

/** The bound for a retention policy: older than `before`, and beyond the newest `keep`, whichever removes more. */
export async function pruneBound(db: Db, policy: { before?: number; keep?: number }): Promise<PruneBound | undefined> {
  let cut: PruneBound | undefined =
    policy.before === undefined ? undefined : { bound: uuidv7Floor(policy.before), inclusive: false };
  if (policy.keep !== undefined) {
    const oldestKept = await keptFrom(db, policy.keep);
    if (oldestKept !== undefined && (cut === undefined || oldestKept >= cut.bound)) {
      cut = { bound: oldestKept, inclusive: true };
    }
  }
  return cut;
}

/** Chunk heads read per query while finding where `keep` cuts. */
const HEADS_PER_READ = 10_000;

/**
 * The id of the (keep + 1)-th newest activation (undefined when there are no more than `keep`). Chunk totals are
 * summed newest first until they pass `keep`; then only the chunks that overlap that boundary are decoded.
 */
async function keptFrom(db: Db, keep: number): Promise<string | undefined> {
  let total = 0;
  let low: string | undefined;
  let boundary: { first_id: string; last_id: string } | undefined;
  const walked: { first_id: string; last_id: string; count: number }[] = [];
  let after: Cursor | undefined;
  while (boundary === undefined) {
    const from = after;
    const heads = await db
      .selectFrom("activation_chunks")
      .select(["id", "first_id", "last_id", "count"])
      .$if(from !== undefined, (qb) =>
        qb.where("last_id", "<=", (from as Cursor).last_id).where(olderThan(from as Cursor)),
      )
      .orderBy("last_id", "desc")
      .orderBy("id", "desc")
      .limit(HEADS_PER_READ)
      .execute();
    for (const h of heads) {
      walked.push(h);
      total += Number(h.count);
      if (low === undefined || h.first_id < low) low = h.first_id;
      if (total > keep) {
        boundary = h;
        break;
      }
    }
    if (boundary === undefined && heads.length < HEADS_PER_READ) return undefined;
    after = heads.at(-1);
  }
  // Chunks that start after the boundary chunk ends hold only newer activations: counted by their totals.
  const lastK = boundary.last_id;
  const above = walked.filter((h) => h.first_id > lastK).reduce((n, h) => n + Number(h.count), 0);
  const near = await db
    .selectFrom("activation_chunks")
    .select(WHOLE)
    .where("last_id", ">=", low as string)
    .where("last_id", "<", endsBefore(mintedAt(lastK)))
    .where("first_id", "<=", lastK)
    .execute();
  const ids = near.flatMap((c) => unpackChunk(c).map((a) => a.id)).sort((x, y) => (x < y ? 1 : x > y ? -1 : 0));
  return ids[keep - above];
}

/**
 * Retention deletes chunks in batches of about this many records (whole chunks, at least one), so the writer never
 * waits long behind it, however large the chunks are.
 */
export const PRUNE_RECORDS = 5000;

/** The longest run of `chunks` holding at most PRUNE_RECORDS records, and at least one chunk. */
export function pruneBatch<T extends { count: number | string }>(chunks: T[]): T[] {
  let records = 0;
  let n = 0;
  while (n < chunks.length && (n === 0 || records + Number(chunks[n]?.count) <= PRUNE_RECORDS)) {
    records += Number(chunks[n]?.count);
    n++;
  }
  return chunks.slice(0, n);
}

/**
 * Deletes the activations beyond the bound, with their lines: whole chunks, about PRUNE_RECORDS records a statement,
 * and the older rows of chunks that straddle it.
 */
export async function pruneChunks(db: Db, cut: PruneBound): Promise<{ activations: number; lines: number }> {
  const op = cut.inclusive ? "<=" : "<";
  let removed = 0;
  let lines = 0;
  for (;;) {
    const whole = pruneBatch(
      await db
        .selectFrom("activation_chunks")
        .select(["id", "count", "lines"])
        .where("last_id", op, cut.bound)
        .limit(PRUNE_RECORDS)
        .execute(),
    );
    if (whole.length === 0) break;
    const ids = whole.map((c) => Number(c.id));
    await db.deleteFrom("activation_links").where("chunk_id", "in", ids).execute();
    await db.deleteFrom("activation_chunks").where("id", "in", ids).execute();
    for (const c of whole) {
      removed += Number(c.count);
      lines += Number(c.lines);
    }
  }
  const straddling = await db
    .selectFrom("activation_chunks")
    .select(WHOLE)
    .where("last_id", "<", endsBefore(mintedAt(cut.bound)))
    .where("first_id", op, cut.bound)
    .execute();
  for (const c of straddling) {
    const pruned = pruneChunk(c, (id) => isCut(cut, id));
    removed += pruned.removed;
    lines += pruned.linesRemoved;
    await db
      .deleteFrom("activation_links")
      .where("chunk_id", "=", c.id)
      .where("activation_id", op, cut.bound)
      .execute();
    if (pruned.rest === undefined) await db.deleteFrom("activation_chunks").where("id", "=", c.id).execute();
    else await db.updateTable("activation_chunks").set(pruned.rest).where("id", "=", c.id).execute();
  }
  return { activations: removed, lines };
}
