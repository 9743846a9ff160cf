// Three real pave nodes on one PostgreSQL database: exactly one leads (readyz and pave_leader say which), a schedule
// that ticks every second fires once per tick across them, and when the leader closes or loses its database session
// another node leads within a couple of seconds and the ticks go on, none fired twice.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { LogLine } from "../../src/store/index.ts";
import { pgSkip } from "../store/pg-cluster.ts";
import { eventually, removeFunctionDirs, type TestServer, writeFunction } from "./helpers.ts";
import { type PgNodes, startPgNodes } from "./pg-nodes.ts";

const TICKER = `export default { scheduled(event) { console.log(String(event.scheduledTime)); } };`;

describe("one scheduler leader among the nodes", { skip: pgSkip }, () => {
  let nodes: PgNodes;
  const figures: Record<string, number> = {};

  before(async () => {
    nodes = await startPgNodes(3);
  });

  after(async () => {
    console.log(`leader failover (ms): ${JSON.stringify(figures)}`);
    await nodes?.close();
    await removeFunctionDirs();
  });

  const closed = new Set<TestServer>();
  const alive = () => nodes.nodes.filter((n) => !closed.has(n));
  const leaders = () => alive().filter((n) => n.server.cluster.leader.leading);

  /** Waits until exactly one live node leads, and says how long that took. */
  async function oneLeader(timeoutMs: number): Promise<{ leader: TestServer; ms: number }> {
    const started = Date.now();
    const leader = await eventually(() => {
      const l = leaders();
      assert.equal(l.length, 1, `${l.length} leaders`);
      return l[0] as TestServer;
    }, timeoutMs);
    return { leader, ms: Date.now() - started };
  }

  /** Every tick the schedule fired, across all nodes, as scheduled times (from the handler's log). */
  async function ticks(): Promise<number[]> {
    const store = (alive()[0] as TestServer).server.store;
    const logs = await store.listLogs({ env: "prod", function: "ticker", limit: 1000 });
    return logs.map((l: LogLine) => Number(l.message)).sort((x, y) => x - y);
  }

  const noneTwice = (all: number[]) =>
    assert.deepEqual(
      all.filter((t, i) => all[i - 1] === t),
      [],
      "a tick fired twice",
    );

  /** Waits until `n` more ticks than `from` have fired. */
  const moreTicks = (from: number, n: number) =>
    eventually(
      async () => {
        const all = await ticks();
        assert.ok(all.length >= from + n, `${all.length - from} of ${n} ticks`);
        return all;
      },
      n * 1000 + 8000,
      200,
    );

  it("exactly one node leads, and says so on /readyz and /metrics", async () => {
    const { leader } = await oneLeader(5000);
    for (const n of alive()) {
      const ready = (await (await fetch(`${n.server.url}/readyz`)).json()) as Record<string, unknown>;
      assert.equal(ready.leader, n === leader);
      assert.equal(ready.node, n.server.node);
      assert.equal(ready.changes, "listening");
      const metrics = await fetch(`${n.server.url}/metrics`, {
        headers: { authorization: `Bearer ${nodes.nodes[0]?.server.adminToken}` },
      });
      assert.match(await metrics.text(), new RegExp(`^pave_leader ${n === leader ? 1 : 0}$`, "m"));
    }
  });

  it("a schedule ticking every second fires once per tick across the nodes", async () => {
    const { leader } = await oneLeader(5000);
    // Deployed through a node that does not lead: the leader arms it when the change arrives.
    const other = alive().find((n) => n !== leader) as TestServer;
    const yaml = `name: ticker\nentry: src/index.ts\ntimeout: 2s\nschedule: { cron: "* * * * * *", overlap: allow }\n`;
    await other.client.deploy(await writeFunction({ "pave.yaml": yaml, "src/index.ts": TICKER }));
    const all = await moreTicks(0, 4);
    noneTwice(all);
  });

  it("when the leader closes, another leads within seconds and the ticks go on, none twice", async () => {
    const { leader } = await oneLeader(5000);
    const before = (await ticks()).length;
    const closedAt = Date.now();
    closed.add(leader);
    await leader.close();
    const { ms } = await oneLeader(5000);
    figures.closed = Date.now() - closedAt;
    assert.ok(ms < 3000, `a new leader after ${ms} ms`);
    const all = await moreTicks(before, 3);
    noneTwice(all);
  });

  it("when the leader loses its database session it stops leading at once; a node leads again", async () => {
    const { leader } = await oneLeader(5000);
    const before = (await ticks()).length;
    const lostAt = Date.now();
    await nodes.admin.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'pave-leader' and pid in (select pid from pg_locks where locktype = 'advisory' and granted)",
    );
    await eventually(() => assert.equal(leader.server.cluster.leader.leading, false), 2000, 5);
    figures.sessionLostNoticed = Date.now() - lostAt;
    await oneLeader(5000);
    figures.sessionLostNewLeader = Date.now() - lostAt;
    const all = await moreTicks(before, 3);
    noneTwice(all);
  });
});
