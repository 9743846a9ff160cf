// The PostgreSQL pool's connection concerns: a server that terminates connections (a restart, a failover) must not
// take the process down, and the pool must serve queries again on fresh connections afterwards.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { createPool } from "../../src/store/postgres/index.ts";
import { type PgCluster, pgSkip, startPgCluster } from "./pg-cluster.ts";

describe("postgres pool", { skip: pgSkip }, () => {
  let cluster: PgCluster;
  let admin: pg.Pool;

  before(async () => {
    cluster = await startPgCluster();
    admin = new pg.Pool({ connectionString: cluster.url("postgres"), max: 1 });
  });

  after(async () => {
    await admin?.end();
    await cluster?.stop();
  });

  it("a checked-out connection the server terminates does not crash the process, and the pool recovers", async () => {
    const pool = createPool(cluster.url("postgres"), { maxConnections: 2 });
    try {
      // Held between statements, as a transaction holds it: no query is under way to take the error.
      const held = await pool.connect();
      const { rows } = await held.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      // `end` follows the `error` the termination emits; listening to `error` here would hide the bug.
      const ended = new Promise((resolve) => held.once("end", resolve));
      await admin.query("SELECT pg_terminate_backend($1)", [rows[0]?.pid]);
      // Before the fix, that `error` had no listener: an uncaught exception that ended the process.
      await ended;
      await assert.rejects(held.query("SELECT 1"));
      held.release();
      assert.deepEqual((await pool.query<{ n: number }>("SELECT 1 AS n")).rows, [{ n: 1 }]);
    } finally {
      await pool.end();
    }
  });
});
