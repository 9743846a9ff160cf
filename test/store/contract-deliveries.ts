// The Store contract for topic delivery: fan-out in the publish transaction (filters honoured), claims that never
// hand one delivery to two claimers and come back when their visibility runs out, acks, retries, dead letters,
// replay and purge, the event's lifecycle, pauses, and async invocations with idempotency keys.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { v7 } from "uuid";
import type { NewEvent, Store, SubscriptionSpec } from "../../src/store/index.ts";

type StoreTest = (title: string, body: (store: Store) => Promise<void>) => void;

const T0 = 1_700_000_000_000;
const sub = (fn: string, over: Partial<SubscriptionSpec> = {}): SubscriptionSpec => ({
  env: "prod",
  function: fn,
  topic: "orders",
  batchSize: 10,
  maxConcurrency: 1,
  maxRetries: 2,
  filter: null,
  ...over,
});
const event = (body: unknown, at = T0): NewEvent => ({
  id: v7(),
  payload: JSON.stringify(body),
  correlationId: "corr",
  traceId: "trace",
  source: "test",
  publishedAt: at,
});
const claimOf = (fn: string, now: number, limit = 10, claim = v7()) => ({
  env: "prod",
  function: fn,
  queue: "orders",
  limit,
  now,
  visibleUntil: now + 1000,
  claim,
});

export function deliveriesContract(test: StoreTest): void {
  describe("topic deliveries", () => {
    test("publish owes each event to every matching subscriber, in the same transaction", async (store) => {
      await store.createTopic("prod", "orders", T0);
      await store.putSubscriptions("prod", "all", [sub("all")], T0);
      await store.putSubscriptions("prod", "big", [sub("big", { filter: { size: ["l", "xl"] } })], T0);
      const events = [event({ size: "s" }), event({ size: "xl" })];
      await store.publishEvents("prod", "orders", events);
      assert.equal((await store.claimDeliveries(claimOf("all", T0))).length, 2);
      const big = await store.claimDeliveries(claimOf("big", T0));
      assert.deepEqual(
        big.map((d) => d.event.id),
        [events[1]?.id],
      );
      assert.equal(big[0]?.attempts, 1);
      assert.equal(big[0]?.event.correlationId, "corr");
      await assert.rejects(store.publishEvents("prod", "nope", [event({})]), { code: "TopicNotFound" });
    });

    test("a claim is exclusive until it expires; acks and retries need the claim", async (store) => {
      await store.createTopic("prod", "orders", T0);
      await store.putSubscriptions("prod", "fn", [sub("fn")], T0);
      await store.publishEvents("prod", "orders", [event(1), event(2), event(3)]);
      const first = await store.claimDeliveries(claimOf("fn", T0, 2, "c1"));
      assert.equal(first.length, 2);
      const second = await store.claimDeliveries(claimOf("fn", T0 + 100, 10, "c2"));
      assert.equal(second.length, 1, "the claimed two are not handed out again");
      await store.finishDeliveries("c2", [{ id: second[0]?.id as string, outcome: "ack", activationId: "y" }], T0);
      assert.deepEqual(await store.claimDeliveries(claimOf("fn", T0 + 500)), []);
      // c1's holder died: its claims come back after visibleUntil, with a second attempt counted.
      const again = await store.claimDeliveries(claimOf("fn", T0 + 1000, 10, "c3"));
      assert.equal(again.length, 2);
      assert.ok(again.every((d) => d.attempts === 2));
      const [a, b] = again;
      assert.ok(a && b);
      assert.deepEqual(
        await store.finishDeliveries("c1", [{ id: a.id, outcome: "ack", activationId: "x" }], T0 + 1100),
        [],
        "a stale claim finishes nothing",
      );
      const done = await store.finishDeliveries(
        "c3",
        [
          { id: a.id, outcome: "ack", activationId: "act1" },
          { id: b.id, outcome: "retry", activationId: "act1", error: "boom", visibleAt: T0 + 5000 },
        ],
        T0 + 1100,
      );
      assert.deepEqual(done.sort(), [a.id, b.id].sort());
      assert.deepEqual(await store.claimDeliveries(claimOf("fn", T0 + 4000)), [], "backing off");
      const retried = await store.claimDeliveries(claimOf("fn", T0 + 5000, 10, "c4"));
      assert.deepEqual(
        retried.map((d) => [d.id, d.attempts]),
        [[b.id, 3]],
      );
      const life = await store.getEventLifecycle(a.eventId);
      assert.equal(life?.deliveries[0]?.state, "acked");
      assert.deepEqual(
        life?.deliveries[0]?.history.map((h) => [h.attempt, h.activationId, h.outcome]),
        [[2, "act1", "acked"]],
      );
    });

    test("dead letters: listed with their last error, replayed, purged; backlog counts them", async (store) => {
      await store.createTopic("prod", "orders", T0);
      await store.putSubscriptions("prod", "fn", [sub("fn")], T0);
      const events = [event(1), event(2)];
      await store.publishEvents("prod", "orders", events);
      const claimed = await store.claimDeliveries(claimOf("fn", T0, 10, "c"));
      await store.finishDeliveries(
        "c",
        claimed.map((d) => ({ id: d.id, outcome: "dead" as const, activationId: "a", error: "poison" })),
        T0 + 1,
      );
      const dead = await store.listDeliveries({ env: "prod", function: "fn", state: "dead", limit: 10 });
      assert.equal(dead.length, 2);
      assert.equal(dead[0]?.lastError, "poison");
      assert.equal(dead[0]?.event.payload, "1");
      let backlog = await store.deliveryBacklog("prod");
      assert.deepEqual(
        backlog.map((r) => [r.function, r.queue, r.depth, r.dead]),
        [["fn", "orders", 0, 2]],
      );
      assert.equal(await store.replayDeliveries("prod", "fn", [events[0]?.id as string], T0 + 2), 1);
      backlog = await store.deliveryBacklog("prod");
      assert.deepEqual(
        backlog.map((r) => [r.depth, r.dead, r.oldestAt]),
        [[1, 1, T0]],
      );
      const replayed = await store.claimDeliveries(claimOf("fn", T0 + 2));
      assert.equal(replayed[0]?.attempts, 1, "attempts start over");
      assert.equal(await store.purgeDeliveries("prod", "fn"), 1);
      assert.deepEqual(await store.listDeliveries({ env: "prod", function: "fn", state: "dead", limit: 10 }), []);
    });

    test("a paused function's deliveries are not claimed; a release does not count an attempt", async (store) => {
      await store.createTopic("prod", "orders", T0);
      await store.putSubscriptions("prod", "fn", [sub("fn")], T0);
      await store.publishEvents("prod", "orders", [event(1)]);
      assert.equal(await store.setPaused("prod", "fn", "ops", T0), true);
      assert.equal(await store.setPaused("prod", "fn", "ops", T0), false);
      assert.equal((await store.getPaused("prod", "fn"))?.pausedBy, "ops");
      assert.deepEqual(await store.claimDeliveries(claimOf("fn", T0)), []);
      assert.equal(await store.setPaused("prod", "fn", null, T0), true);
      const [d] = await store.claimDeliveries(claimOf("fn", T0, 10, "c"));
      assert.ok(d);
      await store.finishDeliveries("c", [{ id: d.id, outcome: "release", visibleAt: T0 }], T0);
      const [again] = await store.claimDeliveries(claimOf("fn", T0));
      assert.equal(again?.attempts, 1);
    });

    test("subscriptions are replaced per function and removed with it", async (store) => {
      await store.putSubscriptions("prod", "fn", [sub("fn"), sub("fn", { topic: "other", filter: { a: 1 } })], T0);
      assert.deepEqual(
        (await store.listSubscriptions("prod")).map((s) => [s.topic, s.filter]),
        [
          ["orders", null],
          ["other", { a: 1 }],
        ],
      );
      await store.putSubscriptions("prod", "fn", [sub("fn", { batchSize: 50 })], T0);
      assert.deepEqual(
        (await store.listSubscriptions()).map((s) => s.batchSize),
        [50],
      );
      await store.deploy(
        { env: "prod", function: "fn", id: "v", manifest: "{}", bundle: "x", bundleBytes: 1, createdBy: "t" },
        "live",
        T0,
      );
      await store.deleteFunction("prod", "fn");
      assert.deepEqual(await store.listSubscriptions(), []);
    });

    test("async invocations: queued under their activation id; a key returns the first, or refuses another body", async (store) => {
      const job = (id: string) => ({
        env: "prod",
        function: "fn",
        activationId: id,
        payload: "{}",
        correlationId: id,
        traceId: "t",
        source: "api:x",
        now: T0,
      });
      const key = { key: "k1", requestHash: "h1", expiresAt: T0 + 86_400_000 };
      const a = v7();
      assert.deepEqual(await store.enqueueInvocation(job(a), key), { activationId: a, duplicate: false });
      assert.deepEqual(await store.enqueueInvocation(job(v7()), key), { activationId: a, duplicate: true });
      await assert.rejects(store.enqueueInvocation(job(v7()), { ...key, requestHash: "h2" }), {
        code: "IdempotencyKeyReused",
      });
      // Past its expiry the key is free again.
      const later = { ...job(v7()), now: T0 + 86_400_001 };
      assert.equal((await store.enqueueInvocation(later, key)).duplicate, false);
      const claimed = await store.claimDeliveries({
        queue: "$async",
        limit: 10,
        now: T0 + 86_400_001,
        visibleUntil: T0 + 86_500_000,
        claim: "c",
      });
      assert.equal(claimed.length, 2);
      assert.equal(claimed[0]?.id, a);
      assert.equal((await store.getDelivery(a))?.state, "inflight");
    });
  });
}
