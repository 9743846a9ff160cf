// Three real `pave up` nodes on one throwaway PostgreSQL, behind a TCP load balancer (balancer.ts), on loopback:
// a deploy through one node serves from all; kill -9 of the leader under load loses no accepted event and no schedule
// tick fires twice; a database restart under load turns the nodes not-ready and back by themselves, losing nothing.
// Figures (delays, failed requests, duplicate deliveries) are printed, not asserted: the machine is shared.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { PaveClient } from "../../src/client/index.ts";
import { uuidv7Floor } from "../../src/store/activation-chunks.ts";
import { type PgCluster, pgSkip, startPgCluster } from "../store/pg-cluster.ts";
import { type Balancer, startBalancer } from "./balancer.ts";
import { alive, kill9, type Node, startLoad, up } from "./cluster-nodes.ts";
import { eventually, removeFunctionDirs, writeFunction } from "./helpers.ts";

/** Every delivery leaves its own key, so duplicates are counted exactly: seen/<event id>/<random>. */
const RECORDER = `export default {
  async queue(batch, env) {
    for (const m of batch.messages) await env.SEEN.put("seen/" + m.id + "/" + crypto.randomUUID(), "1");
  },
};`;
const RECORDER_YAML = `name: recorder
entry: src/index.ts
timeout: 2s
subscriptions:
  - topic: orders
    batchSize: 20
    maxConcurrency: 4
bindings:
  kv: { SEEN: { namespace: seen } }
`;

/** Every run leaves tick/<scheduledTime>/<random>: two keys for one tick would be a tick fired twice. */
const TICKER = `export default {
  async scheduled(event, env) {
    await env.TICKS.put("tick/" + event.scheduledTime + "/" + crypto.randomUUID(), "1");
  },
};`;
// overlap: allow, so a node killed mid-run does not hold the lease (timeout + 10 s) and skip the ticks after it.
const TICKER_YAML = `name: ticker
entry: src/index.ts
timeout: 2s
schedule: { cron: "* * * * * *", overlap: allow }
bindings:
  kv: { TICKS: { namespace: ticks } }
`;

const HELLO = `export default { fetch: () => new Response("hello") };`;

describe("a cluster of three nodes on PostgreSQL behind a load balancer", { skip: pgSkip }, () => {
  let cluster: PgCluster;
  let db: pg.Pool;
  const nodes: Node[] = [];
  let balancer: Balancer;
  let token: string;
  /** Every event id a publish answered 2xx for, across the tests. */
  const accepted: string[] = [];

  /** The event ids the recorder has consumed so far, with how many deliveries each had. */
  const consumed = async (): Promise<Map<string, number>> => {
    const { rows } = await db.query<{ id: string; n: string }>(
      "SELECT split_part(key, '/', 2) AS id, count(*) AS n FROM kv WHERE namespace = 'seen' GROUP BY 1",
    );
    return new Map(rows.map((r) => [r.id, Number(r.n)]));
  };

  /** The schedule's ticks that ran so far (their scheduledTime), with how many runs each had. */
  const fired = async (): Promise<Map<number, number>> => {
    const { rows } = await db.query<{ tick: string; n: string }>(
      "SELECT split_part(key, '/', 2) AS tick, count(*) AS n FROM kv WHERE namespace = 'ticks' GROUP BY 1",
    );
    return new Map(rows.map((r) => [Number(r.tick), Number(r.n)]));
  };

  /** Waits until every accepted event has been consumed; returns how many were delivered more than once. */
  const allConsumed = async (timeoutMs: number): Promise<{ duplicates: number; ms: number }> => {
    const t0 = Date.now();
    const seen = await eventually(
      async () => {
        const seen = await consumed();
        const lost = accepted.filter((id) => !seen.has(id));
        assert.equal(lost.length, 0, `${lost.length} of ${accepted.length} accepted events not consumed yet`);
        return seen;
      },
      timeoutMs,
      250,
    );
    let duplicates = 0;
    for (const n of seen.values()) if (n > 1) duplicates += n - 1;
    return { duplicates, ms: Date.now() - t0 };
  };

  before(async () => {
    cluster = await startPgCluster();
    db = new pg.Pool({ connectionString: cluster.url("postgres"), max: 2 });
    await db.query("CREATE DATABASE pave");
    await db.end();
    db = new pg.Pool({ connectionString: cluster.url("pave"), max: 2 });
    db.on("error", () => {});
    const store = cluster.url("pave");
    const masterKey = randomBytes(32).toString("base64");
    nodes.push(await up(store, masterKey));
    // The first start creates the admin token (in the shared store); the others find it there.
    token = readFileSync(join((nodes[0] as Node).data, "admin-token"), "utf8").trim();
    nodes.push(...(await Promise.all([up(store, masterKey), up(store, masterKey)])));
    // Deployed through node 1 with all three up: the change feed arms the subscription and the schedule on each.
    const client = new PaveClient({ url: (nodes[0] as Node).url, token });
    await client.createTopic("orders");
    await client.deploy(await writeFunction({ "pave.yaml": RECORDER_YAML, "src/index.ts": RECORDER }));
    await client.deploy(await writeFunction({ "pave.yaml": TICKER_YAML, "src/index.ts": TICKER }));
    balancer = await startBalancer(nodes.map((n) => n.url));
  });

  after(async () => {
    await balancer?.close();
    await Promise.all(nodes.map(kill9));
    await db?.end().catch(() => {});
    await cluster?.stop();
    for (const n of nodes) rmSync(n.data, { recursive: true, force: true });
    await removeFunctionDirs();
  });

  it("a deploy through one node serves from all three", async () => {
    const client = new PaveClient({ url: (nodes[0] as Node).url, token });
    await client.deploy(
      await writeFunction({ "pave.yaml": "name: hello\nentry: src/index.ts\n", "src/index.ts": HELLO }),
    );
    const deployed = Date.now();
    const delays = await Promise.all(
      nodes.map(async (n) => {
        await eventually(
          async () => {
            const res = await fetch(`${n.url}/fn/hello/`);
            assert.equal(await res.text(), "hello");
          },
          10_000,
          20,
        );
        return Date.now() - deployed;
      }),
    );
    console.log(`cluster: a deploy through node 1 served from nodes 1-3 after ${delays.join(" / ")} ms`);
    assert.equal((await fetch(`${balancer.url}/fn/hello/`)).status, 200);
  });

  it("kill -9 of the leader under load: requests go on, no accepted event is lost, each tick fires once", async () => {
    const load = startLoad(balancer.url, token);
    try {
      await eventually(() => assert.ok(load.okAt.length >= 50 && load.accepted.length >= 50), 20_000, 50);
      // The leader: its death must hand the schedule to another node (advisory lock) as well as its traffic.
      const leads = await Promise.all(
        nodes.map(async (n) => ((await (await fetch(`${n.url}/readyz`)).json()) as { leader?: boolean }).leader),
      );
      assert.equal(leads.filter(Boolean).length, 1, `one leader: ${JSON.stringify(leads)}`);
      const victimIndex = leads.indexOf(true);
      const victim = nodes[victimIndex] as Node;
      const killedAt = Date.now();
      await kill9(victim);
      // The other nodes go on serving: at least 100 more answers through the balancer after the kill.
      await eventually(() => assert.ok(load.okAt.filter((t) => t > killedAt).length >= 100), 20_000, 50);
      const firstOk = load.okAt.find((t) => t > killedAt) ?? Number.NaN;
      // The balancer took the dead node out of rotation (a refused connect, then its failing /readyz probe).
      assert.equal(balancer.ready()[victimIndex], false);
      // A few seconds of ticks with two nodes racing for each.
      await new Promise((r) => setTimeout(r, 6000));
      await load.stop();
      accepted.push(...load.accepted);
      const after = load.okAt.filter((t) => t > killedAt).length;
      assert.ok(nodes.filter((n) => n !== victim).every(alive), "the other nodes are still running");
      const { duplicates, ms } = await allConsumed(40_000);
      // Ticks: each at most once, before and after the kill; after it, none missing but those the dead node claimed.
      const ticks = await fired();
      const twice = [...ticks].filter(([, n]) => n > 1);
      assert.deepEqual(twice, [], "no tick fired twice");
      const from = Math.ceil(killedAt / 1000) * 1000;
      const to = Math.floor((Date.now() - 2000) / 1000) * 1000;
      const missing: number[] = [];
      for (let t = from; t <= to; t += 1000) if (!ticks.has(t)) missing.push(t - killedAt);
      console.log(
        `cluster: kill -9 under load — first answer ${firstOk - killedAt} ms after the kill, ${after} answers ` +
          `after it, ${load.failed} requests failed, ${load.retried} retried on a new connection; ${load.accepted.length} events accepted, all consumed ` +
          `${ms} ms after the load stopped, ${duplicates} duplicate deliveries; ${ticks.size} ticks fired, none ` +
          `twice; ${(to - from) / 1000 + 1} ticks due since the kill, missing at ${JSON.stringify(missing)} ms ` +
          `after it; publish errors: ${JSON.stringify([...load.publishErrors])}`,
      );
      // At most the tick the dead node had claimed (and maybe the next, claimed as it died) goes unrun.
      assert.ok(missing.length <= 2, `ticks missing after the kill: ${JSON.stringify(missing)}`);
    } finally {
      await load.stop();
    }
  });

  it("a database restart under load: not ready while it is down, ready again by itself, nothing accepted lost", async () => {
    const live = nodes.filter(alive);
    const load = startLoad(balancer.url, token);
    try {
      await eventually(() => assert.ok(load.accepted.length >= 50), 20_000, 50);
      const before = load.accepted.length;
      const haltedAt = Date.now();
      await cluster.halt();
      const readyz = async (n: Node) => {
        if (!alive(n)) throw new Error(`a node died (${n.child.signalCode ?? n.child.exitCode}):\n${n.log()}`);
        return (await fetch(`${n.url}/readyz`, { signal: AbortSignal.timeout(10_000) })).status;
      };
      const allReadyz = (status: number, timeoutMs: number) =>
        eventually(
          async () =>
            assert.deepEqual(
              await Promise.all(live.map(readyz)),
              live.map(() => status),
            ),
          timeoutMs,
          100,
        );
      await allReadyz(503, 15_000);
      const notReady = Date.now() - haltedAt;
      // A publish while the database is away gets a clean error answer, not a hang.
      const t0 = Date.now();
      const res = await fetch(`${(live[0] as Node).url}/api/v1/topics/orders/events?env=prod`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ data: { during: "outage" } }),
        signal: AbortSignal.timeout(20_000),
      });
      const refusedMs = Date.now() - t0;
      const body = (await res.json()) as { error?: { code?: string } };
      assert.equal(res.status, 503, `a publish during the outage answered ${res.status} ${JSON.stringify(body)}`);
      assert.equal(body.error?.code, "NotReady");
      const httpDuring = load.okAt.length;
      await new Promise((r) => setTimeout(r, 1500));
      const servedDuring = load.okAt.length - httpDuring;
      const resumedAt = Date.now();
      const outage = [haltedAt, resumedAt];
      await cluster.resume();
      await allReadyz(200, 30_000);
      const readyAgain = Date.now() - resumedAt;
      const readyAt = Date.now();
      const afterRestart = load.accepted.length;
      await eventually(() => assert.ok(load.accepted.length >= afterRestart + 50), 30_000, 50);
      await load.stop();
      accepted.push(...load.accepted);
      assert.ok(
        live.every(alive),
        `a node died:\n${live
          .filter((n) => !alive(n))
          .map((n) => n.log())
          .join("\n")}`,
      );
      const { duplicates, ms } = await allConsumed(40_000);
      // The schedule goes on by itself once the database is back, still once per tick.
      const ticks = await eventually(
        async () => {
          const ticks = await fired();
          assert.ok(
            [...ticks.keys()].some((t) => t > readyAt),
            "a tick after the restart ran",
          );
          return ticks;
        },
        10_000,
        250,
      );
      assert.deepEqual(
        [...ticks].filter(([, n]) => n > 1),
        [],
        "no tick fired twice",
      );
      const outageTicks = [...ticks.keys()].filter((t) => t > haltedAt && t < readyAt).length;
      // Activations of requests served during the outage were held by the recorders and written once it was back.
      const recorded = await eventually(
        async () => {
          const { rows } = await db.query<{ n: string }>(
            // A chunk's body is a JSON array of activations, each an array whose first field is its id (a UUIDv7,
            // minted as the invocation started).
            "SELECT count(*) AS n FROM activation_chunks c, jsonb_array_elements(c.body::jsonb) a " +
              "WHERE c.function = 'hello' AND a ->> 0 >= $1 AND a ->> 0 < $2",
            outage.map((ms) => uuidv7Floor(ms)),
          );
          const n = Number(rows[0]?.n);
          assert.ok(servedDuring === 0 || n > 0, "activations from the outage are recorded");
          return n;
        },
        10_000,
        250,
      );
      console.log(
        `cluster: database restart under load — readyz 503 on every node ${notReady} ms after the stop; a publish ` +
          `during the outage answered ${res.status} ${body.error?.code} in ${refusedMs} ms; ${servedDuring} ` +
          `function answers in 1.5 s of outage (${recorded} activations from the outage recorded afterwards); ready again ${readyAgain} ms after the start; ${before} events ` +
          `accepted before the stop, ${load.accepted.length} in all, every accepted event consumed ${ms} ms after ` +
          `the load stopped (${duplicates} duplicate deliveries across both tests); ${outageTicks} ticks ran ` +
          `during the ${readyAt - haltedAt} ms outage, the schedule went on after it; ${load.retried} requests retried on a ` +
          `new connection; publish errors: ` +
          `${JSON.stringify([...load.publishErrors])}`,
      );
    } finally {
      await load.stop();
    }
  });
});
