// The adapter-neutral queries behind topic delivery and async invocation: subscriptions, the fan-out done in the
// publish transaction, claims (one UPDATE … WHERE id IN (SELECT … LIMIT n) per claim), acks, retries, dead letters.
import { type Kysely, type Selectable, sql, type Transaction } from "kysely";
import { v7 as uuidv7 } from "uuid";
import { PaveError } from "../errors.ts";
import { matchesFilter } from "./event-filter.ts";
import type { Database } from "./schema.ts";
import {
  ASYNC_QUEUE,
  type AsyncInvocation,
  type BacklogRow,
  type ClaimedDelivery,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryClaim,
  type DeliveryOutcome,
  type DeliveryQuery,
  type DeliveryState,
  type EventLifecycle,
  type EventRecord,
  type IdempotencyKey,
  type NewEvent,
  type PauseRecord,
  type SubscriptionSpec,
} from "./types.ts";

type Db = Kysely<Database>;

/** SQLite allows at most 32766 bound parameters per statement; rows and id lists are split well below it. */
const CHUNK = 500;
const OPEN: DeliveryState[] = ["pending", "inflight"];

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

export async function putSubscriptions(
  db: Db,
  env: string,
  fn: string,
  subs: SubscriptionSpec[],
  now: number,
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom("subscriptions").where("env", "=", env).where("function", "=", fn).execute();
    if (subs.length === 0) return;
    await tx
      .insertInto("subscriptions")
      .values(
        subs.map((s) => ({
          env,
          function: fn,
          topic: s.topic,
          batch_size: s.batchSize,
          max_concurrency: s.maxConcurrency,
          max_retries: s.maxRetries,
          filter: s.filter === null ? "" : JSON.stringify(s.filter),
          updated_at: now,
        })),
      )
      .execute();
  });
}

export async function listSubscriptions(db: Db | Transaction<Database>, env?: string, topic?: string) {
  let q = db.selectFrom("subscriptions").selectAll();
  if (env !== undefined) q = q.where("env", "=", env);
  if (topic !== undefined) q = q.where("topic", "=", topic);
  const rows = await q.orderBy("env").orderBy("function").orderBy("topic").execute();
  return rows.map(
    (r): SubscriptionSpec => ({
      env: r.env,
      function: r.function,
      topic: r.topic,
      batchSize: Number(r.batch_size),
      maxConcurrency: Number(r.max_concurrency),
      maxRetries: Number(r.max_retries),
      filter: r.filter === "" ? null : (JSON.parse(r.filter) as Record<string, unknown>),
    }),
  );
}

/**
 * Called inside the publish transaction, after the events are inserted: one pending delivery per (event,
 * subscription) whose filter matches. Fan-out at publish makes "committed" mean "owed to every subscriber", and a
 * replay is a row going back to pending — no cursor to rewind.
 */
export async function fanOut(tx: Transaction<Database>, env: string, topic: string, events: NewEvent[]): Promise<void> {
  const subs = await listSubscriptions(tx, env, topic);
  if (subs.length === 0) return;
  const rows: Database["deliveries"][] = [];
  for (const e of events) {
    for (const s of subs) {
      if (!matchesFilter(s.filter, e.payload)) continue;
      rows.push({
        id: uuidv7(),
        env,
        function: s.function,
        queue: topic,
        event_id: e.id,
        state: "pending",
        attempts: 0,
        visible_at: e.publishedAt,
        claim: null,
        last_error: null,
        created_at: e.publishedAt,
        updated_at: e.publishedAt,
      });
    }
  }
  for (const part of chunks(rows)) await tx.insertInto("deliveries").values(part).execute();
}

export async function claimDeliveries(db: Db, postgres: boolean, c: DeliveryClaim): Promise<ClaimedDelivery[]> {
  return db.transaction().execute(async (tx) => {
    let pick = tx
      .selectFrom("deliveries")
      .select("id")
      .where("state", "in", OPEN)
      .where("queue", "=", c.queue)
      .where("visible_at", "<=", c.now)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("paused_functions as p")
              .select("p.env")
              .whereRef("p.env", "=", "deliveries.env")
              .whereRef("p.function", "=", "deliveries.function"),
          ),
        ),
      );
    if (c.env !== undefined) pick = pick.where("env", "=", c.env);
    if (c.function !== undefined) pick = pick.where("function", "=", c.function);
    pick = pick.orderBy("visible_at").orderBy("id").limit(c.limit);
    // The one dialect difference: PostgreSQL nodes claim concurrently and must skip each other's rows; SQLite
    // serialises writers, so the re-checked conditions below are all it needs. PostgreSQL locks the picked ids in a
    // statement of their own: as an `IN (subquery)` its planner may rescan the locking subquery and exceed the limit.
    let ids: typeof pick | string[] = pick;
    if (postgres) {
      ids = (await pick.forUpdate().skipLocked().execute()).map((r) => r.id);
      if (ids.length === 0) return [];
    }
    const claimed = await tx
      .updateTable("deliveries")
      .set({
        state: "inflight",
        visible_at: c.visibleUntil,
        claim: c.claim,
        attempts: sql<number>`attempts + 1`,
        updated_at: c.now,
      })
      .where("id", "in", ids)
      .where("state", "in", OPEN)
      .where("visible_at", "<=", c.now)
      .returningAll()
      .execute();
    if (claimed.length === 0) return [];
    const events = new Map<string, EventRecord>();
    for (const part of chunks([...new Set(claimed.map((d) => d.event_id))])) {
      for (const e of await tx.selectFrom("events").selectAll().where("id", "in", part).execute()) {
        events.set(e.id, toEvent(e));
      }
    }
    return claimed
      .filter((d) => events.has(d.event_id))
      .map((d) => ({ ...toDelivery(d), event: events.get(d.event_id) as EventRecord }))
      .sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  });
}

export async function finishDeliveries(
  db: Db,
  claim: string,
  outcomes: DeliveryOutcome[],
  now: number,
): Promise<string[]> {
  if (outcomes.length === 0) return [];
  return db.transaction().execute(async (tx) => {
    const done: string[] = [];
    const attempts: Database["delivery_attempts"][] = [];
    const held = (ids: string[]) =>
      tx.updateTable("deliveries").where("id", "in", ids).where("claim", "=", claim).where("state", "=", "inflight");
    const acks = outcomes.filter((o) => o.outcome === "ack");
    for (const part of chunks(acks)) {
      const rows = await held(part.map((o) => o.id))
        .set({ state: "acked", claim: null, visible_at: now, updated_at: now })
        .returning(["id", "attempts"])
        .execute();
      const by = new Map(part.map((o) => [o.id, o]));
      for (const r of rows) {
        done.push(r.id);
        const o = by.get(r.id) as { activationId: string };
        attempts.push(attemptRow(r.id, Number(r.attempts), o.activationId, "acked", null, now));
      }
    }
    for (const o of outcomes) {
      if (o.outcome === "ack") continue;
      const set =
        o.outcome === "retry"
          ? { state: "pending", claim: null, visible_at: o.visibleAt, last_error: o.error, updated_at: now }
          : o.outcome === "dead"
            ? { state: "dead", claim: null, visible_at: now, last_error: o.error, updated_at: now }
            : // Handed back uncounted: the claim did not reach the function.
              {
                state: "pending",
                claim: null,
                visible_at: o.visibleAt,
                attempts: sql<number>`attempts - 1`,
                updated_at: now,
              };
      const row = await held([o.id]).set(set).returning(["id", "attempts"]).executeTakeFirst();
      if (!row) continue;
      done.push(row.id);
      if (o.outcome === "retry" || o.outcome === "dead") {
        attempts.push(attemptRow(row.id, Number(row.attempts), o.activationId, o.outcome, o.error, now));
      }
    }
    for (const part of chunks(attempts)) await tx.insertInto("delivery_attempts").values(part).execute();
    return done;
  });
}

function attemptRow(
  id: string,
  attempt: number,
  activationId: string,
  outcome: string,
  error: string | null,
  at: number,
): Database["delivery_attempts"] {
  return { delivery_id: id, attempt, activation_id: activationId, outcome, error, at };
}

export async function listDeliveries(db: Db, q: DeliveryQuery): Promise<(Delivery & { event: EventRecord })[]> {
  const rows = await db
    .selectFrom("deliveries as d")
    .innerJoin("events as e", "e.id", "d.event_id")
    .selectAll("d")
    .select([
      "e.topic",
      "e.payload",
      "e.correlation_id",
      "e.trace_id",
      "e.span_id",
      "e.source",
      "e.published_at",
      "e.env as event_env",
    ])
    .where("d.state", "=", q.state)
    .where("d.env", "=", q.env)
    .where("d.function", "=", q.function)
    .orderBy("d.event_id")
    .limit(q.limit)
    .execute();
  return rows.map((r) => ({
    ...toDelivery(r),
    event: toEvent({ ...r, id: r.event_id, env: r.event_env }),
  }));
}

export async function getDelivery(db: Db, id: string): Promise<Delivery | undefined> {
  const row = await db.selectFrom("deliveries").selectAll().where("id", "=", id).executeTakeFirst();
  return row && toDelivery(row);
}

export async function replayDeliveries(
  db: Db,
  env: string,
  fn: string,
  eventIds: string[] | undefined,
  now: number,
): Promise<number> {
  return db.transaction().execute(async (tx) => {
    let q = tx
      .updateTable("deliveries")
      .set({ state: "pending", attempts: 0, visible_at: now, claim: null, updated_at: now })
      .where("env", "=", env)
      .where("function", "=", fn)
      .where("state", "=", "dead");
    if (eventIds !== undefined) q = q.where("event_id", "in", eventIds.length > 0 ? eventIds : [""]);
    const rows = await q.returning("id").execute();
    for (const part of chunks(rows)) {
      await tx
        .insertInto("delivery_attempts")
        .values(part.map((r) => attemptRow(r.id, 0, "", "replayed", null, now)))
        .execute();
    }
    return rows.length;
  });
}

export async function purgeDeliveries(db: Db, env: string, fn: string): Promise<number> {
  return db.transaction().execute(async (tx) => {
    const dead = tx
      .selectFrom("deliveries")
      .select("id")
      .where("env", "=", env)
      .where("function", "=", fn)
      .where("state", "=", "dead");
    await tx.deleteFrom("delivery_attempts").where("delivery_id", "in", dead).execute();
    const res = await tx
      .deleteFrom("deliveries")
      .where("env", "=", env)
      .where("function", "=", fn)
      .where("state", "=", "dead")
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  });
}

export async function getEventLifecycle(db: Db, id: string): Promise<EventLifecycle | undefined> {
  const event = await db.selectFrom("events").selectAll().where("id", "=", id).executeTakeFirst();
  if (!event) return undefined;
  const deliveries = await db
    .selectFrom("deliveries")
    .selectAll()
    .where("event_id", "=", id)
    .orderBy("function")
    .execute();
  const history = new Map<string, DeliveryAttempt[]>();
  if (deliveries.length > 0) {
    const rows = await db
      .selectFrom("delivery_attempts")
      .selectAll()
      .where(
        "delivery_id",
        "in",
        deliveries.map((d) => d.id),
      )
      .orderBy("at")
      .orderBy("attempt")
      .execute();
    for (const r of rows) {
      const list = history.get(r.delivery_id) ?? [];
      list.push({
        attempt: Number(r.attempt),
        activationId: r.activation_id,
        outcome: r.outcome,
        error: r.error,
        at: Number(r.at),
      });
      history.set(r.delivery_id, list);
    }
  }
  return {
    event: toEvent(event),
    deliveries: deliveries.map((d) => ({ ...toDelivery(d), history: history.get(d.id) ?? [] })),
  };
}

export async function deliveryBacklog(db: Db, env?: string): Promise<BacklogRow[]> {
  let q = db
    .selectFrom("deliveries")
    .select(["env", "function", "queue"])
    .select((eb) => [
      eb.fn.sum<number>(sql`case when state = 'dead' then 0 else 1 end`).as("depth"),
      eb.fn.sum<number>(sql`case when state = 'dead' then 1 else 0 end`).as("dead"),
      eb.fn.min<number>(sql`case when state = 'dead' then null else created_at end`).as("oldest"),
    ])
    .where("state", "in", ["pending", "inflight", "dead"])
    .groupBy(["env", "function", "queue"]);
  if (env !== undefined) q = q.where("env", "=", env);
  const rows = await q.execute();
  return rows.map((r) => ({
    env: r.env,
    function: r.function,
    queue: r.queue,
    depth: Number(r.depth ?? 0),
    dead: Number(r.dead ?? 0),
    oldestAt: r.oldest === null || r.oldest === undefined ? null : Number(r.oldest),
  }));
}

export async function pruneDeliveries(db: Db, before: number): Promise<number> {
  let total = 0;
  for (;;) {
    const batch = db
      .selectFrom("deliveries")
      .select("id")
      .where("state", "=", "acked")
      .where("updated_at", "<", before)
      .limit(CHUNK * 10);
    const ids = (await batch.execute()).map((r) => r.id);
    if (ids.length === 0) return total;
    await db.transaction().execute(async (tx) => {
      for (const part of chunks(ids)) {
        await tx.deleteFrom("delivery_attempts").where("delivery_id", "in", part).execute();
        await tx.deleteFrom("deliveries").where("id", "in", part).execute();
      }
    });
    total += ids.length;
  }
}

export async function enqueueInvocation(
  db: Db,
  job: AsyncInvocation,
  key?: IdempotencyKey,
): Promise<{ activationId: string; duplicate: boolean }> {
  return db.transaction().execute(async (tx) => {
    if (key) {
      const held = await tx
        .selectFrom("idempotency_keys")
        .selectAll()
        .where("env", "=", job.env)
        .where("function", "=", job.function)
        .where("key", "=", key.key)
        .executeTakeFirst();
      if (held && Number(held.expires_at) > job.now) {
        if (held.request_hash !== key.requestHash) {
          throw new PaveError(
            "IdempotencyKeyReused",
            `idempotency key ${key.key} was used for a different request (activation ${held.activation_id}); use a new key for a new request`,
            { details: { activationId: held.activation_id } },
          );
        }
        return { activationId: held.activation_id, duplicate: true };
      }
      const row = {
        request_hash: key.requestHash,
        activation_id: job.activationId,
        expires_at: key.expiresAt,
      };
      await tx
        .insertInto("idempotency_keys")
        .values({ env: job.env, function: job.function, key: key.key, ...row })
        .onConflict((oc) => oc.columns(["env", "function", "key"]).doUpdateSet(row))
        .execute();
    }
    await tx
      .insertInto("events")
      .values({
        id: job.activationId,
        env: job.env,
        topic: ASYNC_QUEUE,
        payload: job.payload,
        correlation_id: job.correlationId,
        trace_id: job.traceId,
        // No producer span: the job continues the caller's trace as a root of its own.
        span_id: "",
        source: job.source,
        published_at: job.now,
      })
      .execute();
    await tx
      .insertInto("deliveries")
      .values({
        id: job.activationId,
        env: job.env,
        function: job.function,
        queue: ASYNC_QUEUE,
        event_id: job.activationId,
        state: "pending",
        attempts: 0,
        visible_at: job.now,
        claim: null,
        last_error: null,
        created_at: job.now,
        updated_at: job.now,
      })
      .execute();
    return { activationId: job.activationId, duplicate: false };
  });
}

export async function setPaused(db: Db, env: string, fn: string, by: string | null, now: number): Promise<boolean> {
  if (by === null) {
    const res = await db
      .deleteFrom("paused_functions")
      .where("env", "=", env)
      .where("function", "=", fn)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
  const res = await db
    .insertInto("paused_functions")
    .values({ env, function: fn, paused_at: now, paused_by: by })
    .onConflict((oc) => oc.columns(["env", "function"]).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function getPaused(db: Db, env: string, fn: string): Promise<PauseRecord | undefined> {
  const row = await db
    .selectFrom("paused_functions")
    .selectAll()
    .where("env", "=", env)
    .where("function", "=", fn)
    .executeTakeFirst();
  return row && { env: row.env, function: row.function, pausedAt: Number(row.paused_at), pausedBy: row.paused_by };
}

function toDelivery(r: Selectable<Database["deliveries"]>): Delivery {
  return {
    id: r.id,
    env: r.env,
    function: r.function,
    queue: r.queue,
    eventId: r.event_id,
    state: r.state as DeliveryState,
    attempts: Number(r.attempts),
    visibleAt: Number(r.visible_at),
    lastError: r.last_error,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** An events row as the record callers see (listEvents and the deliveries that carry events). */
export function toEvent(r: Selectable<Database["events"]>): EventRecord {
  return {
    id: r.id,
    env: r.env,
    topic: r.topic,
    payload: r.payload,
    correlationId: r.correlation_id,
    traceId: r.trace_id,
    ...(r.span_id !== "" && { spanId: r.span_id }),
    source: r.source,
    publishedAt: Number(r.published_at),
  };
}
