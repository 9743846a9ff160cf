// The adapter-neutral queries behind function bindings: kv entries, sealed secrets, topics and their events.
// KyselyStore delegates to these; they keep byte values as plain Uint8Arrays on the way out.
import type { Kysely } from "kysely";
import { PaveError } from "../errors.ts";
import { fanOut, toEvent } from "./kysely-deliveries.ts";
import type { Database } from "./schema.ts";
import type {
  EventQuery,
  EventRecord,
  KvEntry,
  KvListPage,
  KvListQuery,
  NewEvent,
  SealedSecret,
  SecretInfo,
  TopicRecord,
} from "./types.ts";

type Db = Kysely<Database>;

/** SQLite allows at most 32766 bound parameters per statement; rows are split so no insert comes near it. */
const ROWS_PER_INSERT = 500;

/** Drivers bind Buffers as blob / bytea; a view over the caller's bytes, not a copy. */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Drivers hand back Buffers (often slices of a shared pool); callers get a plain Uint8Array of their own. */
function toBytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value);
}

/**
 * The least string above every string that starts with `prefix`, in code point order (which is UTF-8 byte order),
 * or undefined when there is none. `key >= prefix and key < prefixEnd(prefix)` selects exactly the keys with that
 * prefix, with no LIKE wildcards to escape and an index range to scan.
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = [...prefix].map((c) => c.codePointAt(0) as number);
  while (points.length > 0) {
    const last = points.pop() as number;
    if (last < 0x10ffff) return String.fromCodePoint(...points, last + 1 === 0xd800 ? 0xe000 : last + 1);
  }
  return undefined;
}

export async function kvGet(db: Db, env: string, ns: string, key: string, now: number): Promise<KvEntry | undefined> {
  const row = await db
    .selectFrom("kv")
    .select(["value", "expires_at"])
    .where("env", "=", env)
    .where("namespace", "=", ns)
    .where("key", "=", key)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
    .executeTakeFirst();
  return row && { value: toBytes(row.value), expiresAt: row.expires_at === null ? null : Number(row.expires_at) };
}

export async function kvPut(db: Db, env: string, ns: string, key: string, entry: KvEntry): Promise<void> {
  // The interface gives kvPut no clock: updated_at is for operators reading the table, nothing decides on it.
  const row = { value: toBuffer(entry.value), expires_at: entry.expiresAt, updated_at: Date.now() };
  await db
    .insertInto("kv")
    .values({ env, namespace: ns, key, ...row })
    .onConflict((oc) => oc.columns(["env", "namespace", "key"]).doUpdateSet(row))
    .execute();
}

export async function kvDelete(db: Db, env: string, ns: string, key: string): Promise<boolean> {
  const res = await db
    .deleteFrom("kv")
    .where("env", "=", env)
    .where("namespace", "=", ns)
    .where("key", "=", key)
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export async function kvList(db: Db, env: string, ns: string, q: KvListQuery, now: number): Promise<KvListPage> {
  let query = db
    .selectFrom("kv")
    .select(["key", "expires_at"])
    .where("env", "=", env)
    .where("namespace", "=", ns)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]));
  if (q.prefix) {
    query = query.where("key", ">=", q.prefix);
    const end = prefixEnd(q.prefix);
    if (end !== undefined) query = query.where("key", "<", end);
  }
  if (q.cursor !== undefined) query = query.where("key", ">", q.cursor);
  // One row more than asked tells whether another page follows, so the last page says so.
  const rows = await query
    .orderBy("key")
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  return {
    keys: page.map((r) => ({ name: r.key, expiresAt: r.expires_at === null ? null : Number(r.expires_at) })),
    cursor: rows.length > q.limit ? (page.at(-1)?.key ?? null) : null,
  };
}

export async function purgeExpiredKv(db: Db, now: number): Promise<number> {
  const res = await db.deleteFrom("kv").where("expires_at", "<=", now).executeTakeFirst();
  return Number(res.numDeletedRows);
}

export async function putSecret(db: Db, env: string, name: string, sealed: SealedSecret, now: number): Promise<void> {
  const row = {
    key_id: sealed.keyId,
    iv: toBuffer(sealed.iv),
    ciphertext: toBuffer(sealed.ciphertext),
    tag: toBuffer(sealed.tag),
    updated_at: now,
  };
  await db
    .insertInto("secrets")
    .values({ env, name, created_at: now, ...row })
    .onConflict((oc) => oc.columns(["env", "name"]).doUpdateSet(row))
    .execute();
}

export async function getSecrets(db: Db, env: string, names: string[]): Promise<Map<string, SealedSecret>> {
  const found = new Map<string, SealedSecret>();
  if (names.length === 0) return found;
  const rows = await db
    .selectFrom("secrets")
    .select(["name", "key_id", "iv", "ciphertext", "tag"])
    .where("env", "=", env)
    .where("name", "in", [...new Set(names)])
    .execute();
  for (const r of rows) {
    found.set(r.name, { keyId: r.key_id, iv: toBytes(r.iv), ciphertext: toBytes(r.ciphertext), tag: toBytes(r.tag) });
  }
  return found;
}

export async function listSecrets(db: Db, env: string): Promise<SecretInfo[]> {
  const rows = await db
    .selectFrom("secrets")
    .select(["name", "created_at", "updated_at"])
    .where("env", "=", env)
    .orderBy("name")
    .execute();
  return rows.map((r) => ({ name: r.name, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at) }));
}

export async function deleteSecret(db: Db, env: string, name: string): Promise<boolean> {
  const res = await db.deleteFrom("secrets").where("env", "=", env).where("name", "=", name).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export async function createTopic(db: Db, env: string, name: string, now: number): Promise<boolean> {
  const res = await db
    .insertInto("topics")
    .values({ env, name, created_at: now })
    .onConflict((oc) => oc.columns(["env", "name"]).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function getTopic(db: Db, env: string, name: string): Promise<TopicRecord | undefined> {
  const row = await db
    .selectFrom("topics")
    .selectAll()
    .where("env", "=", env)
    .where("name", "=", name)
    .executeTakeFirst();
  return row && { env: row.env, name: row.name, createdAt: Number(row.created_at) };
}

export async function listTopics(db: Db, env: string): Promise<TopicRecord[]> {
  const rows = await db.selectFrom("topics").selectAll().where("env", "=", env).orderBy("name").execute();
  return rows.map((r) => ({ env: r.env, name: r.name, createdAt: Number(r.created_at) }));
}

export async function publishEvents(db: Db, env: string, topic: string, events: NewEvent[]): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const exists = await tx
      .selectFrom("topics")
      .select("name")
      .where("env", "=", env)
      .where("name", "=", topic)
      .executeTakeFirst();
    if (!exists) throw new PaveError("TopicNotFound", `no topic ${topic} in environment ${env}`);
    for (let i = 0; i < events.length; i += ROWS_PER_INSERT) {
      await tx
        .insertInto("events")
        .values(
          events.slice(i, i + ROWS_PER_INSERT).map((e) => ({
            id: e.id,
            env,
            topic,
            payload: e.payload,
            correlation_id: e.correlationId,
            trace_id: e.traceId,
            span_id: e.spanId ?? "",
            source: e.source,
            published_at: e.publishedAt,
          })),
        )
        .execute();
    }
    await fanOut(tx, env, topic, events);
  });
}

export async function listEvents(db: Db, env: string, topic: string, q: EventQuery): Promise<EventRecord[]> {
  let query = db.selectFrom("events").selectAll().where("env", "=", env).where("topic", "=", topic);
  if (q.after !== undefined) query = query.where("id", ">", q.after);
  const rows = await query.orderBy("id").limit(q.limit).execute();
  return rows.map(toEvent);
}
