// Topic delivery: subscriptions as the live manifests declare them, one delivery row per (event, subscriber) made
// in the publish transaction, each attempt's outcome, paused functions, and async invocations' idempotency keys.
import type { Kysely, Migration } from "kysely";

export const deliveries: Migration = {
  async up(db: Kysely<unknown>) {
    // Synced from live manifests by the consumers; publish reads it to fan an event out to its subscribers.
    await db.schema
      .createTable("subscriptions")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("function", "text", (c) => c.notNull())
      .addColumn("topic", "text", (c) => c.notNull())
      .addColumn("batch_size", "integer", (c) => c.notNull())
      .addColumn("max_concurrency", "integer", (c) => c.notNull())
      .addColumn("max_retries", "integer", (c) => c.notNull())
      // JSON text of the filter; "" for none.
      .addColumn("filter", "text", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("subscriptions_pk", ["env", "function", "topic"])
      .execute();
    await db.schema.createIndex("subscriptions_topic").on("subscriptions").columns(["env", "topic"]).execute();

    // One row per (event, subscriber): what that subscriber still owes. `queue` is the topic, or "$async" for an
    // async invocation (its id is then the activation id). pending and inflight rows are claimable once
    // visible_at has passed: a crashed node's claims simply come back.
    await db.schema
      .createTable("deliveries")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("function", "text", (c) => c.notNull())
      .addColumn("queue", "text", (c) => c.notNull())
      .addColumn("event_id", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("visible_at", "bigint", (c) => c.notNull())
      // The activation of the current claim: acks and retries must come from the claim holder.
      .addColumn("claim", "text")
      .addColumn("last_error", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("deliveries_claim")
      .on("deliveries")
      // state first: a claim seeks (pending|inflight, env, function, queue) up to visible_at, and the backlog
      // gauges read only the open and dead rows, however many acked ones pile up before retention removes them.
      .columns(["state", "env", "function", "queue", "visible_at"])
      .execute();
    await db.schema
      .createIndex("deliveries_event")
      .on("deliveries")
      .columns(["event_id", "function"])
      .unique()
      .execute();

    // Every attempt's outcome, for `pave event ID`: the lifecycle is these rows in order.
    await db.schema
      .createTable("delivery_attempts")
      .addColumn("delivery_id", "text", (c) => c.notNull())
      .addColumn("attempt", "integer", (c) => c.notNull())
      .addColumn("activation_id", "text", (c) => c.notNull())
      .addColumn("outcome", "text", (c) => c.notNull())
      .addColumn("error", "text")
      .addColumn("at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("delivery_attempts_delivery")
      .on("delivery_attempts")
      .columns(["delivery_id", "attempt"])
      .execute();

    // The kill switch: a row means paused. Apart from `functions` so other writers of that table never clear it.
    await db.schema
      .createTable("paused_functions")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("function", "text", (c) => c.notNull())
      .addColumn("paused_at", "bigint", (c) => c.notNull())
      .addColumn("paused_by", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("paused_functions_pk", ["env", "function"])
      .execute();

    await db.schema
      .createTable("idempotency_keys")
      .addColumn("env", "text", (c) => c.notNull())
      .addColumn("function", "text", (c) => c.notNull())
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("request_hash", "text", (c) => c.notNull())
      .addColumn("activation_id", "text", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("idempotency_keys_pk", ["env", "function", "key"])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of ["idempotency_keys", "paused_functions", "delivery_attempts", "deliveries", "subscriptions"]) {
      await db.schema.dropTable(t).execute();
    }
  },
};
