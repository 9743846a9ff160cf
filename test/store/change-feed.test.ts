// The change feed and the leader lock on a real PostgreSQL: a change reaches another node's subscriber (listening or
// polling), a change committed out of seq order still arrives once, a killed listener falls back to polling and comes
// back; one lock holder at a time, and a holder whose session dies stops leading at once.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { createLogger } from "../../src/logger.ts";
import type { Change, Cluster, Store } from "../../src/store/index.ts";
import { openPostgresStore } from "../../src/store/postgres/index.ts";
import { eventually } from "../e2e/helpers.ts";
import { type PgCluster, pgSkip, startPgCluster } from "./pg-cluster.ts";

const logger = createLogger("silent");

describe("postgres change feed and leader lock", { skip: pgSkip }, () => {
  let pgc: PgCluster;
  let admin: pg.Pool;
  let url: string;
  const opened: { store: Store; cluster: Cluster }[] = [];

  before(async () => {
    pgc = await startPgCluster();
    admin = new pg.Pool({ connectionString: pgc.url("postgres"), max: 2 });
    await admin.query("CREATE DATABASE feed");
    url = pgc.url("feed");
  });

  after(async () => {
    for (const { store, cluster } of opened) {
      await cluster.leader.close();
      await cluster.changes.close();
      await store.close();
    }
    await admin?.end();
    await pgc?.stop();
  });

  /** A node: a store and its cluster, with everything it heard. */
  async function node(name: string, opts: { poll?: boolean; leaderRetryMs?: number } = {}) {
    const store = await openPostgresStore(url);
    const cluster = store.cluster({ node: name, logger, ...opts });
    opened.push({ store, cluster });
    const heard: Change[] = [];
    cluster.changes.subscribe(async (c) => {
      heard.push(c);
    });
    await cluster.changes.start();
    return { store, cluster, heard };
  }

  const alias = (fn: string): Change => ({ kind: "alias", env: "prod", function: fn });
  const listeners = async () =>
    (await admin.query("select pid from pg_stat_activity where application_name = 'pave-listen'")).rows.length;

  it("a change announced by one node reaches the others once, not itself; polling nodes too", async () => {
    const a = await node("a");
    const b = await node("b");
    const c = await node("c", { poll: true });
    assert.equal(a.cluster.changes.mode, "listening");
    assert.equal(c.cluster.changes.mode, "polling");
    await a.cluster.changes.announce(alias("one"));
    await eventually(() => {
      assert.deepEqual(b.heard, [alias("one")]);
      assert.deepEqual(c.heard, [alias("one")]);
    });
    assert.deepEqual(a.heard, []);
    await b.cluster.changes.announce({ kind: "token", hash: "h" });
    await eventually(() => assert.deepEqual(a.heard, [{ kind: "token", hash: "h" }]));
    await new Promise((r) => setTimeout(r, 600));
    assert.deepEqual(b.heard, [alias("one")], "nothing is heard twice, nor one's own");
    assert.equal(c.heard.length, 2);
  });

  it("a change whose seq was taken earlier but committed later still arrives, once", async () => {
    const a = await node("a2");
    const b = await node("b2");
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      // The slow transaction takes its seq first and commits last, as a concurrent announce may.
      await db.query("begin");
      await db.query(
        `with c as (insert into changes (at, node, payload) values ((extract(epoch from clock_timestamp()) * 1000)::bigint, 'x', $1) returning seq) select pg_notify('pave_changes', seq::text) from c`,
        [JSON.stringify(alias("late"))],
      );
      await a.cluster.changes.announce(alias("early"));
      await eventually(() => assert.ok(b.heard.some((c) => c.kind === "alias" && c.function === "early")));
      await db.query("commit");
      await eventually(() => assert.deepEqual(b.heard, [alias("early"), alias("late")]));
      await new Promise((r) => setTimeout(r, 600));
      assert.deepEqual(b.heard, [alias("early"), alias("late")]);
    } finally {
      await db.end();
    }
  });

  it("a killed listener polls meanwhile and listens again on its own", async () => {
    const a = await node("a3");
    const b = await node("b3");
    const before = await listeners();
    await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'pave-listen'");
    await a.cluster.changes.announce(alias("while-down"));
    await eventually(() => assert.deepEqual(b.heard, [alias("while-down")]), 1000);
    await eventually(async () => {
      assert.equal(b.cluster.changes.mode, "listening");
      assert.equal(await listeners(), before);
    }, 5000);
    await a.cluster.changes.announce(alias("after"));
    await eventually(() => assert.deepEqual(b.heard, [alias("while-down"), alias("after")]));
  });

  it("one node leads; closing it or killing its session hands the lead to another", async () => {
    const nodes = await Promise.all(["l1", "l2", "l3"].map((n) => node(n, { leaderRetryMs: 200 })));
    for (const n of nodes) n.cluster.leader.start();
    const leaders = () => nodes.filter((n) => n.cluster.leader.leading);
    await eventually(() => assert.equal(leaders().length, 1));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(leaders().length, 1, "still one");

    const first = leaders()[0]!;
    const lost: boolean[] = [];
    first.cluster.leader.onChange((leading) => lost.push(leading));
    await admin.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'pave-leader' and pid in (select pid from pg_locks where locktype = 'advisory' and granted)",
    );
    await eventually(() => assert.deepEqual(lost.slice(0, 1), [false]), 2000);
    await eventually(() => assert.equal(leaders().length, 1), 3000);

    const second = leaders()[0]!;
    await second.cluster.leader.close();
    assert.equal(second.cluster.leader.leading, false);
    await eventually(() => {
      assert.equal(leaders().length, 1);
      assert.notEqual(leaders()[0], second);
    }, 3000);
  });
});
