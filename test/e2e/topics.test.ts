// Topic delivery on a real server (real isolates, real SQLite): web and Lambda queue handlers with per-message
// ack/retry and batchItemFailures, retries with backoff into the dead-letter list, replay and purge, the event's
// lifecycle and its correlation id, pause/resume, async invocation with idempotency keys, and bad input.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ApiError, PaveClient } from "../../src/client/index.ts";
import { eventually, removeFunctionDirs, startTestServer, type TestServer, writeFunction } from "./helpers.ts";

after(removeFunctionDirs);

/** A subscriber's pave.yaml: kv namespace `seen`, one subscription. */
function yaml(name: string, topic: string, sub: Record<string, number> = {}, extra = ""): string {
  const opts = Object.entries(sub)
    .map(([k, v]) => `\n    ${k}: ${v}`)
    .join("");
  return `name: ${name}
entry: src/index.ts
timeout: 2s
subscriptions:
  - topic: ${topic}${opts}
bindings:
  kv: { SEEN: { namespace: seen-${name} } }
${extra}`;
}

async function deploy(client: PaveClient, manifest: string, source: string) {
  return client.deploy(await writeFunction({ "pave.yaml": manifest, "src/index.ts": source }));
}

/** Keys the subscriber wrote under `prefix` in its namespace. */
async function seen(client: PaveClient, fn: string, prefix = "seen/"): Promise<string[]> {
  const { keys } = await client.listKvKeys(`seen-${fn}`, { prefix, limit: 1000 });
  return keys.map((k) => k.name);
}

/** Web style: records each message with its attempt; `retryOnce` messages ask for a retry on their first attempt. */
const WEB = `export default {
  async queue(batch, env) {
    for (const m of batch.messages) {
      if (m.body.retryOnce && m.attempts === 1) { m.retry({ delaySeconds: 0 }); continue; }
      if (m.body.poison) throw new Error("poison " + m.id);
      await env.SEEN.put("seen/" + m.id, JSON.stringify({ attempts: m.attempts, body: m.body, queue: batch.queue,
        ts: m.timestamp instanceof Date }));
      m.ack();
    }
  },
  async fetch() { return new Response("hi"); },
};`;

/** Lambda style: fails messages marked `failOnce` on their first receive through batchItemFailures. */
const LAMBDA = `export const handler = async (event, context) => {
  const batchItemFailures = [];
  for (const r of event.Records) {
    const body = JSON.parse(r.body);
    if (body.failOnce && r.attributes.ApproximateReceiveCount === "1") {
      batchItemFailures.push({ itemIdentifier: r.messageId });
      continue;
    }
    await context.env.SEEN.put("seen/" + r.messageId, JSON.stringify({ count: r.attributes.ApproximateReceiveCount,
      source: r.eventSource, md5: r.md5OfBody.length }));
  }
  return { batchItemFailures };
};`;

describe("topic delivery", () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ consumers: { pollIntervalMs: 50, backoff: { baseMs: 20, capMs: 100 } } });
    for (const topic of ["orders", "payments", "jobs", "poison", "held"]) await t.client.createTopic(topic);
  });
  after(() => t.close());

  it("delivers to a web queue(batch) handler; retry() comes back with attempts 2; ack() ends it", async () => {
    await deploy(t.client, yaml("web-sub", "orders", { batchSize: 5 }), WEB);
    const { ids } = await t.client.publish("orders", {
      events: [{ data: { n: 1 } }, { data: { n: 2, retryOnce: true } }, { data: { n: 3 } }],
    });
    const keys = await eventually(async () => {
      const k = await seen(t.client, "web-sub");
      assert.equal(k.length, 3);
      return k;
    }, 10_000);
    assert.deepEqual(keys.sort(), ids.map((id) => `seen/${id}`).sort());
    const second = await t.client.getKvValue("seen-web-sub", `seen/${ids[1]}`);
    assert.deepEqual(JSON.parse(Buffer.from(second.value).toString()), {
      attempts: 2,
      body: { n: 2, retryOnce: true },
      queue: "orders",
      ts: true,
    });
    const life = await eventually(async () => {
      const e = await t.client.getEvent(ids[1] as string);
      assert.equal(e.deliveries[0]?.state, "acked");
      return e;
    });
    assert.deepEqual(
      life.deliveries[0]?.history.map((h) => [h.attempt, h.outcome]),
      [
        [1, "retry"],
        [2, "acked"],
      ],
    );
    await eventually(async () => {
      const acts = await t.client.listActivations({ function: "web-sub", trigger: "topic", limit: 10 });
      assert.ok(acts.activations.length >= 2, `${acts.activations.length} topic activations`);
    });
  });

  it("delivers an SQS event to a Lambda handler and retries only its batchItemFailures", async () => {
    await deploy(t.client, yaml("lambda-sub", "payments", { batchSize: 10 }), LAMBDA);
    const { ids } = await t.client.publish("payments", {
      events: [{ data: { a: 1 } }, { data: { a: 2, failOnce: true } }],
    });
    await eventually(async () => assert.equal((await seen(t.client, "lambda-sub")).length, 2), 10_000);
    const counts = await Promise.all(
      ids.map(async (id) => {
        const v = await t.client.getKvValue("seen-lambda-sub", `seen/${id}`);
        return JSON.parse(Buffer.from(v.value).toString()) as { count: string; source: string; md5: number };
      }),
    );
    assert.deepEqual(
      counts.map((c) => [c.count, c.source, c.md5]),
      [
        ["1", "aws:sqs", 32],
        ["2", "aws:sqs", 32],
      ],
    );
  });

  it("carries the publisher's correlation id to the consumer's activation and the event's lifecycle", async () => {
    await deploy(t.client, yaml("corr-sub", "jobs", { batchSize: 1 }), WEB);
    const { id } = await t.client.publish("jobs", { data: { job: 1 } }, { correlationId: "order-4711" });
    const life = await eventually(async () => {
      const e = await t.client.getEvent(id as string);
      assert.equal(e.deliveries[0]?.state, "acked");
      return e;
    }, 10_000);
    assert.equal(life.event.correlationId, "order-4711");
    assert.deepEqual(life.event.data, { job: 1 });
    const activationId = life.deliveries[0]?.history[0]?.activationId as string;
    const { activation } = await eventually(() => t.client.getActivation(activationId));
    assert.equal(activation.correlationId, "order-4711");
    assert.equal(activation.trigger, "topic");
  });

  it("dead-letters a poison message after maxRetries with its last error, while the rest flow; replay and purge", async () => {
    await deploy(t.client, yaml("poison-sub", "poison", { batchSize: 1, maxRetries: 2 }), WEB);
    const { ids } = await t.client.publish("poison", {
      events: [{ data: { n: 1 } }, { data: { poison: true } }, { data: { n: 3 } }],
    });
    const dead = await eventually(async () => {
      const d = await t.client.listDeadLetters("poison-sub");
      assert.equal(d.deadLetters.length, 1);
      return d.deadLetters[0];
    }, 10_000);
    assert.equal(dead?.eventId, ids[1]);
    assert.equal(dead?.attempts, 3, "the first delivery and maxRetries: 2");
    assert.match(dead?.lastError ?? "", /FunctionError: Error: poison/);
    assert.deepEqual(dead?.data, { poison: true });
    assert.equal((await seen(t.client, "poison-sub")).length, 2, "the others were delivered");
    const life = await t.client.getEvent(ids[1] as string);
    assert.deepEqual(
      life.deliveries[0]?.history.map((h) => h.outcome),
      ["retry", "retry", "dead"],
    );
    const { topics } = await t.client.listTopics();
    const sub = topics.find((x) => x.name === "poison")?.subscriptions[0];
    assert.equal(sub?.dead, 1);
    assert.equal(sub?.depth, 0);

    assert.equal((await t.client.replayDeadLetters("poison-sub", [ids[1] as string])).replayed, 1);
    await eventually(async () => {
      const d = await t.client.listDeadLetters("poison-sub");
      assert.equal(d.deadLetters[0]?.attempts, 3);
      const e = await t.client.getEvent(ids[1] as string);
      assert.ok(e.deliveries[0]?.history.some((h) => h.outcome === "replayed"));
      assert.equal(e.deliveries[0]?.state, "dead");
    }, 10_000);
    assert.equal((await t.client.purgeDeadLetters("poison-sub")).purged, 1);
    assert.deepEqual((await t.client.listDeadLetters("poison-sub")).deadLetters, []);
  });

  it("a paused function consumes nothing and answers FunctionPaused; resumed, it gets every event", async () => {
    await deploy(t.client, yaml("held-sub", "held", { batchSize: 10 }), WEB);
    assert.equal((await t.client.setPaused("held-sub", true)).changed, true);
    const { ids } = await t.client.publish("held", { events: [1, 2, 3, 4, 5].map((n) => ({ data: { n } })) });
    const res = await fetch(`${t.server.url}/fn/held-sub/`);
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "FunctionPaused");
    // Several polls go by: nothing may be consumed, and nothing is lost.
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await seen(t.client, "held-sub"), []);
    const depth = (await t.client.listTopics()).topics.find((x) => x.name === "held")?.subscriptions[0]?.depth;
    assert.equal(depth, 5);
    await t.client.setPaused("held-sub", false);
    await eventually(async () => assert.equal((await seen(t.client, "held-sub")).length, ids.length), 10_000);
  });
});

describe("async invocation", () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ consumers: { pollIntervalMs: 50 } });
    await t.client.deploy(
      await writeFunction({
        "pave.yaml": "name: echo\nentry: src/index.ts\ntimeout: 2s\n",
        "src/index.ts": "export const handler = async (event) => ({ got: event });",
      }),
    );
  });
  after(() => t.close());

  it("answers 202 with the activation id; the result is read from the activation", async () => {
    const out = await t.client.invokeAsync("echo", { n: 1 });
    assert.equal(out.status, "pending");
    assert.equal(out.duplicate, false);
    const { activation } = await eventually(() => t.client.getActivation(out.activationId), 10_000);
    assert.equal(activation.status, "success");
    assert.equal(activation.trigger, "invoke");
  });

  it("an Idempotency-Key returns the first activation for the same body and refuses another body (422)", async () => {
    const first = await t.client.invokeAsync("echo", { n: 2 }, { idempotencyKey: "k-1" });
    const again = await t.client.invokeAsync("echo", { n: 2 }, { idempotencyKey: "k-1" });
    assert.equal(again.activationId, first.activationId);
    assert.equal(again.duplicate, true);
    await assert.rejects(t.client.invokeAsync("echo", { n: 3 }, { idempotencyKey: "k-1" }), (err: ApiError) => {
      assert.equal(err.code, "IdempotencyKeyReused");
      assert.equal(err.status, 422);
      return true;
    });
    await eventually(() => t.client.getActivation(first.activationId), 10_000);
    const runs = await t.client.listActivations({ function: "echo", limit: 100 });
    assert.equal(runs.activations.filter((a) => a.id === first.activationId).length, 1);
  });

  it("a paused function's async invocation waits, reported pending, and runs on resume", async () => {
    await t.client.setPaused("echo", true);
    const out = await t.client.invokeAsync("echo", { n: 4 });
    await new Promise((r) => setTimeout(r, 300));
    await assert.rejects(t.client.getActivation(out.activationId), (err: ApiError) => {
      assert.equal(err.code, "ActivationNotFound");
      assert.equal(err.details?.state, "pending");
      return true;
    });
    await t.client.setPaused("echo", false);
    await eventually(() => t.client.getActivation(out.activationId), 10_000);
  });
});

describe("bad input", () => {
  let t: TestServer;
  const post = (path: string, body: string, type = "application/json") =>
    fetch(`${t.server.url}/api/v1${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.server.adminToken}`, "content-type": type },
      body,
    });

  before(async () => {
    t = await startTestServer();
    await t.client.createTopic("orders");
  });
  after(() => t.close());

  it("publishing to a missing topic is 404 TopicNotFound", async () => {
    await assert.rejects(t.client.publish("nope", { data: 1 }), { code: "TopicNotFound", status: 404 });
  });

  it("an oversized event is 413 and a body that is not JSON is 400", async () => {
    const big = await post("/topics/orders/events", JSON.stringify({ data: "x".repeat(300 * 1024) }));
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { error: { code: string } }).error.code, "PayloadTooLarge");
    const bad = await post("/topics/orders/events", "{not json");
    assert.equal(bad.status, 400);
    const text = await post("/topics/orders/events", "hello", "text/plain");
    assert.equal(text.status, 400);
    const neither = await post("/topics/orders/events", "{}");
    assert.equal(neither.status, 400);
  });

  it("a subscription to a missing topic is refused at deploy, naming the field", async () => {
    await assert.rejects(deploy(t.client, yaml("lost", "missing"), WEB), (err: ApiError) => {
      assert.equal(err.code, "InvalidManifest");
      assert.match(err.message, /subscriptions\.0\.topic: no topic missing/);
      return true;
    });
  });
});
