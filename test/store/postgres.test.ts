// The PostgreSQL adapter: the shared Store contract on a throwaway cluster, one fresh database per test.
// Each database is a copy of a template migrated once, so a test costs a file copy, not fourteen migrations.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import pg from "pg";
import { packActivations } from "../../src/store/activation-chunks.ts";
import { openStore } from "../../src/store/index.ts";
import { insertActivationChunks } from "../../src/store/kysely-activations.ts";
import { migrationProvider } from "../../src/store/migrations/index.ts";
import { openPostgresStore } from "../../src/store/postgres/index.ts";
import { packRecords } from "../../src/store/record-batch.ts";
import { storeContract } from "./contract.ts";
import { act } from "./contract-activations.ts";
import { line } from "./contract-logs.ts";
import { type PgCluster, pgSkip, startPgCluster } from "./pg-cluster.ts";

const T0 = 1_700_000_000_000;

describe("postgres store", { skip: pgSkip }, () => {
  let cluster: PgCluster;
  let admin: pg.Pool;
  let created = 0;

  before(async () => {
    cluster = await startPgCluster();
    admin = new pg.Pool({ connectionString: cluster.url("postgres"), max: 2 });
    await admin.query("CREATE DATABASE pave_template");
    const template = await openPostgresStore(cluster.url("pave_template"));
    await template.close();
  });

  after(async () => {
    await admin?.end();
    await cluster?.stop();
  });

  storeContract("postgres", async () => {
    const name = `t_${++created}`;
    await admin.query(`CREATE DATABASE ${name} TEMPLATE pave_template`);
    const store = await openPostgresStore(cluster.url(name));
    const close = store.close.bind(store);
    // Dropping each database as its test ends keeps the cluster small however many tests the contract grows.
    store.close = async () => {
      await close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    };
    return store;
  });

  describe("postgres store nodes", () => {
    it("three nodes starting together on a fresh database migrate it once, and all open", async () => {
      await admin.query("CREATE DATABASE concurrent");
      const url = cluster.url("concurrent");
      const stores = await Promise.all([openStore(url), openStore(url), openStore(url)]);
      try {
        for (const store of stores) assert.deepEqual(await store.listEnvironments(), ["prod"]);
        const db = new pg.Pool({ connectionString: url, max: 1 });
        try {
          const names = await db.query<{ name: string }>("select name from pave_migrations order by name");
          assert.deepEqual(
            names.rows.map((r) => r.name),
            Object.keys(await migrationProvider.getMigrations()).sort(),
          );
          const envs = await db.query<{ n: number }>("select count(*)::int as n from environments");
          assert.equal(envs.rows[0]?.n, 1, "the seeding migration ran once");
        } finally {
          await db.end();
        }
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it("ping rejects promptly once the database is gone, so /readyz turns not-ready", async () => {
      await admin.query("CREATE DATABASE doomed TEMPLATE pave_template");
      const store = await openStore(cluster.url("doomed"));
      try {
        await store.ping();
        await admin.query("DROP DATABASE doomed WITH (FORCE)");
        const started = Date.now();
        await assert.rejects(store.ping());
        assert.ok(Date.now() - started < 5000, "ping waits no longer than the connect timeout");
      } finally {
        await store.close();
      }
    });

    it("a connection the server terminates while checked out fails its next query; the process goes on", async () => {
      await admin.query("CREATE DATABASE restarted TEMPLATE pave_template");
      const store = await openPostgresStore(cluster.url("restarted"));
      try {
        // A connection held between two statements (a transaction) when the database restarts: pg emits "error" on
        // it, which crashed the process (an uncaught exception fails this file) before the pool listened for it.
        const held = store.db.connection().execute(async (conn) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn);
          await admin.query("select pg_terminate_backend($1)", [rows[0]?.pid]);
          await new Promise((r) => setTimeout(r, 200));
          await sql`select 1`.execute(conn);
        });
        await assert.rejects(held);
        assert.deepEqual(await store.listEnvironments(), ["prod"]);
      } finally {
        await store.close();
      }
    });

    it("a follower misses no line while two nodes write at once: a batch's line ids commit in the order given", async () => {
      await admin.query("CREATE DATABASE following TEMPLATE pave_template");
      const url = cluster.url("following");
      const [a, b] = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
      try {
        const first = act(T0, { function: "fn" });
        const second = act(T0 + 1, { function: "fn" });
        // Node a has taken its batch's line ids and not yet committed (its transaction is still writing).
        let commit = () => {};
        const committing = new Promise<void>((resolve) => {
          commit = resolve;
        });
        let taken = () => {};
        const idsTaken = new Promise<void>((resolve) => {
          taken = resolve;
        });
        const writingA = a.db.transaction().execute(async (tx) => {
          await insertActivationChunks(tx, packActivations([first], [line(first, "from a")]), true);
          taken();
          await committing;
        });
        await idsTaken;
        // Node b writes a batch of its own meanwhile; a follower polls as `pave logs --follow` does.
        const writingB = b.insertBatch(packRecords([second], [line(second, "from b")]));
        const seen: string[] = [];
        let cursor: number | undefined;
        const poll = async () => {
          const lines = await b.listLogs({ env: "prod", after: cursor, limit: 100 });
          seen.push(...lines.map((l) => l.message));
          cursor = lines.at(-1)?.id ?? cursor;
        };
        await new Promise((r) => setTimeout(r, 300));
        await poll();
        commit();
        await Promise.all([writingA, writingB]);
        await poll();
        assert.deepEqual(seen, ["from a", "from b"], "every line, once, in id order");
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it("a node stalled inside its transaction is cut off, so the log-order lock it holds frees the others", async () => {
      await admin.query("CREATE DATABASE stalled TEMPLATE pave_template");
      const url = cluster.url("stalled");
      const [a, b] = await Promise.all([
        openPostgresStore(url, { idleInTransactionTimeoutMs: 500 }),
        openPostgresStore(url, { idleInTransactionTimeoutMs: 500 }),
      ]);
      try {
        const first = act(T0, { function: "fn" });
        const second = act(T0 + 1, { function: "fn" });
        // Node a takes the lock with its ids, then hangs: no statement, no commit.
        const stalled = a.db.transaction().execute(async (tx) => {
          await insertActivationChunks(tx, packActivations([first], [line(first, "never")]), true);
          await new Promise((r) => setTimeout(r, 3000));
          await sql`select 1`.execute(tx);
        });
        const failed = assert.rejects(stalled);
        await new Promise((r) => setTimeout(r, 100));
        const started = Date.now();
        await b.insertBatch(packRecords([second], [line(second, "written")]));
        assert.ok(Date.now() - started < 2500, `node b waited ${Date.now() - started} ms`);
        await failed;
        assert.deepEqual(
          (await b.listLogs({ env: "prod", limit: 10 })).map((l) => l.message),
          ["written"],
        );
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it("two nodes adding to the same minutes' rollups at once never deadlock, whatever order their batches list them", async () => {
      await admin.query("CREATE DATABASE rollups_race TEMPLATE pave_template");
      const url = cluster.url("rollups_race");
      const [a, b] = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
      try {
        const fns = Array.from({ length: 200 }, (_, i) => `fn${i}`);
        // Node a's batches meet the functions in one order, node b's in the other: the rows their upserts lock. 200
        // rows a statement and 30 batches each deadlocked 3 runs in 3 before the upsert sorted its rows.
        const batch = (order: string[]) =>
          packRecords(
            order.map((fn) => act(T0, { function: fn })),
            [],
          );
        const write = async (store: typeof a, order: string[]) => {
          for (let i = 0; i < 30; i++) await store.insertBatch(batch(order));
        };
        await Promise.all([write(a, fns), write(b, [...fns].reverse())]);
        const rollups = await a.rollups({
          env: "prod",
          function: "fn7",
          since: T0 - 60_000,
          until: T0 + 60_000,
          step: 60_000,
        });
        assert.equal(
          rollups.reduce((n, r) => n + r.count, 0),
          60,
          "every batch added once",
        );
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });
});
