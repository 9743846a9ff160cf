// A real pave server on PostgreSQL: it deploys, serves and records through the pg store, and /readyz follows the
// database — not-ready while it refuses connections, ready again once it is back.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { createLogger } from "../../src/logger.ts";
import { startServer } from "../../src/server.ts";
import { type PgCluster, pgSkip, startPgCluster } from "../store/pg-cluster.ts";
import { deploySource, eventually, removeFunctionDirs, startTestServer, type TestServer } from "./helpers.ts";

const HELLO = `export default { fetch: () => { console.log("hi from pg"); return new Response("hello"); } };`;

describe("pave on PostgreSQL", { skip: pgSkip }, () => {
  let cluster: PgCluster;
  let admin: pg.Pool;
  let t: TestServer;

  before(async () => {
    cluster = await startPgCluster();
    admin = new pg.Pool({ connectionString: cluster.url("postgres"), max: 1 });
    await admin.query("CREATE DATABASE pave");
    t = await startTestServer({ store: cluster.url("pave"), storePool: 3 });
  });

  after(async () => {
    await t?.close();
    await admin?.end();
    await cluster?.stop();
    await removeFunctionDirs();
  });

  it("deploys, serves and records activations and logs in PostgreSQL", async () => {
    assert.equal(t.server.store.kind, "postgres");
    await deploySource(t.client, "hello", HELLO);
    const res = await fetch(`${t.server.url}/fn/hello/`);
    assert.equal(await res.text(), "hello");
    const id = res.headers.get("x-pave-activation-id");
    assert.ok(id);
    const activation = await eventually(async () => {
      const a = await t.server.store.getActivation(id);
      assert.ok(a);
      return a;
    });
    assert.equal(activation.status, "success");
    const logs = await t.server.store.listLogs({ env: "prod", activationId: id, limit: 10 });
    assert.deepEqual(
      logs.map((l) => l.message),
      ["hi from pg"],
    );
  });

  it("holds no more pooled connections than it was given (--store-pool), queueing the rest", async () => {
    await Promise.all(Array.from({ length: 30 }, () => t.client.listFunctions()));
    const { rows } = await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'pave' AND application_name = 'pave'",
    );
    assert.ok((rows[0]?.n ?? 0) <= 3, `${rows[0]?.n} pooled connections`);
    assert.ok((rows[0]?.n ?? 0) >= 1);
  });

  it("a start that fails (its port is taken) closes the connections it opened", async () => {
    await admin.query("CREATE DATABASE pave_failed");
    const connections = async () =>
      (
        await admin.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'pave_failed'",
        )
      ).rows[0]?.n;
    const dataDir = await mkdtemp(join(tmpdir(), "pave-failed-"));
    await assert.rejects(
      startServer({
        store: cluster.url("pave_failed"),
        port: t.server.port,
        dataDir,
        logger: createLogger("silent"),
      }),
      /EADDRINUSE/,
    );
    await eventually(async () => assert.equal(await connections(), 0));
    await rm(dataDir, { recursive: true, force: true });
  });

  it("/readyz is 503 while the database refuses connections, and 200 once it is back", async () => {
    const readyz = async () => (await fetch(`${t.server.url}/readyz`)).status;
    assert.equal(await readyz(), 200);
    await admin.query("ALTER DATABASE pave ALLOW_CONNECTIONS false");
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'pave'");
    try {
      const started = Date.now();
      assert.equal(await readyz(), 503);
      assert.ok(Date.now() - started < 5000, "the probe answers within the connect timeout");
    } finally {
      await admin.query("ALTER DATABASE pave ALLOW_CONNECTIONS true");
    }
    await eventually(async () => assert.equal(await readyz(), 200));
  });
});
