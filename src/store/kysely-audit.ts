// The adapter-neutral queries of the audit log: append one record to the hash chain under the head row's lock,
// list records by filters and cursors, read the head. KyselyStore delegates to these.
import type { Kysely, Selectable } from "kysely";
import type {
  AuditHead,
  AuditOutcome,
  AuditQuery,
  AuditRecord,
  NewAuditRecord,
  UnsealedAuditRecord,
} from "./audit-types.ts";
import type { Database } from "./schema.ts";
import type { Role } from "./types.ts";

type Db = Kysely<Database>;

/** What record 1 links to; migration 008 seeds the head with it. */
export const AUDIT_GENESIS_HASH = "0".repeat(64);

export async function appendAudit(
  db: Db,
  entry: NewAuditRecord,
  seal: (record: UnsealedAuditRecord) => string,
): Promise<AuditRecord> {
  return db.transaction().execute(async (tx) => {
    // The first statement writes the head row. On SQLite that takes the write lock before anything is read (a read
    // first would pin a snapshot another append could outdate); on PostgreSQL it takes the row's lock, as
    // SELECT … FOR UPDATE would. Either way appends queue here, each reads the head the last one left: no fork.
    await tx
      .updateTable("audit_head")
      .set((eb) => ({ seq: eb("seq", "+", 1) }))
      .where("id", "=", 1)
      .execute();
    const head = await tx
      .selectFrom("audit_head")
      .select(["seq", "hash"])
      .where("id", "=", 1)
      .executeTakeFirstOrThrow();
    const unsealed: UnsealedAuditRecord = { ...entry, seq: Number(head.seq), prevHash: head.hash };
    const record: AuditRecord = { ...unsealed, hash: seal(unsealed) };
    await tx.insertInto("audit").values(toRow(record)).execute();
    await tx.updateTable("audit_head").set({ hash: record.hash }).where("id", "=", 1).execute();
    return record;
  });
}

export async function listAudit(db: Db, q: AuditQuery): Promise<AuditRecord[]> {
  let query = db.selectFrom("audit").selectAll();
  if (q.env !== undefined) query = query.where("env", "=", q.env);
  const actor = q.actor;
  if (actor !== undefined)
    query = query.where((eb) => eb.or([eb("actor_name", "=", actor), eb("actor_id", "=", actor)]));
  if (q.function !== undefined) query = query.where("function", "=", q.function);
  if (q.action?.endsWith(".*")) {
    // `secret.*`: a range rather than LIKE, so `_` and `%` in action names never act as wildcards.
    const kind = q.action.slice(0, -1);
    query = query.where("action", ">=", kind).where("action", "<", `${kind.slice(0, -1)}/`);
  } else if (q.action !== undefined) {
    query = query.where("action", "=", q.action);
  }
  if (q.since !== undefined) query = query.where("at", ">=", q.since);
  if (q.until !== undefined) query = query.where("at", "<", q.until);
  if (q.beforeSeq !== undefined) query = query.where("seq", "<", q.beforeSeq);
  if (q.afterSeq !== undefined) query = query.where("seq", ">", q.afterSeq);
  if (q.prevHash !== undefined) query = query.where("prev_hash", "=", q.prevHash);
  const rows = await query
    .orderBy("seq", q.order ?? "desc")
    .limit(q.limit)
    .execute();
  return rows.map(toRecord);
}

export async function auditHead(db: Db): Promise<AuditHead> {
  const head = await db.selectFrom("audit_head").select(["seq", "hash"]).where("id", "=", 1).executeTakeFirstOrThrow();
  return { seq: Number(head.seq), hash: head.hash };
}

function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function toRow(r: AuditRecord): Database["audit"] {
  return {
    seq: r.seq,
    id: r.id,
    at: r.at,
    actor_id: r.actor.id,
    actor_name: r.actor.name,
    actor_role: r.actor.role,
    action: r.action,
    env: r.env,
    function: r.function,
    target: r.target,
    outcome: r.outcome,
    ip: r.ip,
    user_agent: r.userAgent,
    before: json(r.before),
    after: json(r.after),
    details: json(r.details),
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}

function toRecord(r: Selectable<Database["audit"]>): AuditRecord {
  return {
    seq: Number(r.seq),
    id: r.id,
    at: Number(r.at),
    actor: { id: r.actor_id, name: r.actor_name, role: r.actor_role as Role | null },
    action: r.action,
    env: r.env,
    function: r.function,
    target: r.target,
    outcome: r.outcome as AuditOutcome,
    ip: r.ip,
    userAgent: r.user_agent,
    before: r.before === null ? null : JSON.parse(r.before),
    after: r.after === null ? null : JSON.parse(r.after),
    details: r.details === null ? null : (JSON.parse(r.details) as Record<string, unknown>),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
