// When LISTEN does not work, changes still arrive within a second: a node forced to poll (PgBouncer in transaction
// mode) reads the change log every 500 ms, a node whose listener is killed polls until it listens again, and after
// the database was gone for a while every node recovers on its own.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pgSkip } from "../store/pg-cluster.ts";
import { deploySource, eventually, removeFunctionDirs, type TestServer } from "./helpers.ts";
import { BOUND_MS, HeardChanges, type PgNodes, SLACK_MS, startPgNodes, version } from "./pg-nodes.ts";

describe("the change feed without LISTEN", { skip: pgSkip }, () => {
  let nodes: PgNodes;
  let a: TestServer;
  let b: TestServer;
  let polling: TestServer;
  const figures: Record<string, number> = {};

  before(async () => {
    nodes = await startPgNodes(2);
    [a, b] = nodes.nodes as [TestServer, TestServer];
    polling = await nodes.add({ cluster: { poll: true } });
  });

  after(async () => {
    console.log(`propagation without LISTEN (ms): ${JSON.stringify(figures)}`);
    await nodes?.close();
    await removeFunctionDirs();
  });

  const text = async (t: TestServer, path: string) => {
    const res = await fetch(`${t.server.url}${path}`);
    return `${res.status} ${await res.text()}`;
  };
  const listeners = async () =>
    (await nodes.admin.query("select pid from pg_stat_activity where application_name = 'pave-listen'")).rowCount;

  /** Deploys `v` through A and waits until `on` applied it; then `on` must serve it at once. */
  async function deployed(on: TestServer, v: string): Promise<number> {
    const heard = new HeardChanges(on);
    const applied = heard.when((c) => c.kind === "alias" && c.function === "hello", 3000);
    await deploySource(a.client, "hello", version(v));
    const answered = Date.now();
    await applied;
    assert.equal(await text(on, "/fn/hello/"), `200 ${v}`);
    return Date.now() - answered;
  }

  it("a node that polls gets a change within a second", async () => {
    assert.equal(polling.server.cluster.changes.mode, "polling");
    // Wait for the poll that brings v1's change: arriving during the v2 deploy, it would pass for v2's.
    const v1 = new HeardChanges(polling).when((c) => c.kind === "alias" && c.function === "hello", 3000);
    await deploySource(a.client, "hello", version("v1"));
    await v1;
    assert.equal(await text(polling, "/fn/hello/"), "200 v1");
    figures.polling = await deployed(polling, "v2");
    assert.ok(figures.polling < BOUND_MS + SLACK_MS, `served ${figures.polling} ms after the deploy's answer`);
  });

  it("a change made while B's listener is down reaches B within a second, and B listens again", async () => {
    assert.equal(b.server.cluster.changes.mode, "listening");
    await eventually(async () => assert.equal(await text(b, "/fn/hello/"), "200 v2"));
    // Kill every listener again and again while the change is made, so B cannot hear it through LISTEN.
    let killing = true;
    const killer = (async () => {
      while (killing) {
        await nodes.admin.query(
          "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'pave-listen'",
        );
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      await eventually(() => assert.equal(b.server.cluster.changes.mode, "polling"));
      figures.listenerDown = await deployed(b, "v3");
      assert.ok(figures.listenerDown < BOUND_MS + SLACK_MS, `served ${figures.listenerDown} ms after the answer`);
    } finally {
      killing = false;
      await killer;
    }
    const stopped = Date.now();
    await eventually(
      async () => {
        assert.equal(b.server.cluster.changes.mode, "listening");
        assert.equal(await listeners(), 2, "A and B listen again");
      },
      10_000,
      50,
    );
    figures.relistened = Date.now() - stopped;
    figures.afterRelisten = await deployed(b, "v4");
    assert.ok(figures.afterRelisten < BOUND_MS + SLACK_MS);
  });

  it("after the database refused every connection for a while, the nodes listen, lead and hear changes again", async () => {
    const all = [a, b, polling];
    await nodes.admin.query("ALTER DATABASE pave ALLOW_CONNECTIONS false");
    await nodes.admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'pave'");
    try {
      await eventually(() => {
        assert.equal(b.server.cluster.changes.mode, "polling");
        assert.ok(
          all.every((n) => !n.server.cluster.leader.leading),
          "nobody leads without the database",
        );
      }, 5000);
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      await nodes.admin.query("ALTER DATABASE pave ALLOW_CONNECTIONS true");
    }
    const back = Date.now();
    await eventually(
      () => {
        assert.equal(a.server.cluster.changes.mode, "listening");
        assert.equal(b.server.cluster.changes.mode, "listening");
        assert.equal(all.filter((n) => n.server.cluster.leader.leading).length, 1);
      },
      15_000,
      50,
    );
    figures.recovered = Date.now() - back;
    figures.afterOutage = await deployed(b, "v5");
    assert.ok(figures.afterOutage < BOUND_MS + SLACK_MS);
  });
});
