// `pave backup` and `pave restore` on PostgreSQL, through the real CLI and pg_dump/pg_restore: a dump of database A
// taken under load, restored into an empty database B, serves a node with every record, the secret and the audit
// chain intact; a missing or too old pg_dump, a non-empty target and a mismatched file are refused.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { PaveClient } from "../../src/client/index.ts";
import { type PgCluster, pgSkip, startPgCluster } from "../store/pg-cluster.ts";
import { checkRestored, type Populated, populate, snapshot, underLoad } from "./backup-fixture.ts";
import { type CliRun, removeFunctionDirs, runPave, startTestServer, type TestServer } from "./helpers.ts";

interface Summary {
  kind: string;
  bytes: number;
  ms: number;
  tool: string;
  contents: { functions: number; versions: number; activations: number; secrets: number };
}

const json = (r: CliRun) => JSON.parse(r.out) as Summary;
const errorOf = (r: CliRun) => (JSON.parse(r.out) as { error: { code: string; message: string } }).error;

describe("pave backup / restore on PostgreSQL", { skip: pgSkip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "pave-pgbackup-"));
  const file = join(dir, "pave.pgdump");
  const env = { PAVE_MASTER_KEY: randomBytes(32).toString("base64") };
  let cluster: PgCluster;
  let admin: pg.Pool;
  let t: TestServer;
  let populated: Populated;
  let before_: Awaited<ReturnType<typeof snapshot>>;
  let backup: Summary;

  before(async () => {
    cluster = await startPgCluster();
    admin = new pg.Pool({ connectionString: cluster.url("postgres"), max: 1 });
    await admin.query("CREATE DATABASE a");
    await admin.query("CREATE DATABASE b");
    t = await startTestServer({ store: cluster.url("a"), env });
    populated = await populate(t);
    before_ = await snapshot(t.client);
  });

  after(async () => {
    await t?.close();
    await admin?.end();
    await cluster?.stop();
    await removeFunctionDirs();
    rmSync(dir, { recursive: true, force: true });
  });

  it("dumps database A with pg_dump while the node serves load", async (ctx) => {
    const load = await underLoad(t.server.url, () =>
      runPave(t, ["backup", file, "--store", cluster.url("a"), "--json"]),
    );
    assert.equal(load.result.code, 0, load.result.out + load.result.err);
    backup = json(load.result);
    assert.equal(load.failures, 0);
    assert.equal(backup.kind, "postgres");
    assert.match(backup.tool, /pg_dump$/);
    assert.deepEqual(
      { functions: backup.contents.functions, versions: backup.contents.versions, secrets: backup.contents.secrets },
      { functions: 2, versions: 5, secrets: 1 },
    );
    assert.ok(backup.contents.activations >= populated.invocations);
    ctx.diagnostic(
      `pg backup: ${backup.bytes} bytes, ${backup.contents.activations} activations, ${backup.ms} ms; ` +
        `${load.calls} invocations meanwhile, slowest ${load.slowestMs.toFixed(1)} ms`,
    );
    const bytes = readFileSync(file);
    assert.equal(bytes.subarray(0, 5).toString(), "PGDMP");
    assert.equal(bytes.indexOf(populated.secret), -1, "the secret is sealed in the dump");
    assert.deepEqual(readdirSync(dir), ["pave.pgdump"]);
  });

  it("refuses when pg_dump is missing or older than the server, and writes nothing", async () => {
    const empty = join(dir, "no-tools");
    mkdirSync(empty);
    const old = join(dir, "old-tools");
    mkdirSync(old);
    writeFileSync(join(old, "pg_dump"), '#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n');
    chmodSync(join(old, "pg_dump"), 0o755);
    try {
      const target = join(dir, "never.pgdump");
      const missing = await runPave(t, ["backup", target, "--store", cluster.url("a"), "--json"], {
        env: { PAVE_PG_BINDIR: empty },
      });
      assert.equal(missing.code, 1);
      assert.equal(errorOf(missing).code, "PgToolMissing");
      assert.match(errorOf(missing).message, /pg_dump is not installed/);
      const tooOld = await runPave(t, ["backup", target, "--store", cluster.url("a"), "--json"], {
        env: { PAVE_PG_BINDIR: old },
      });
      assert.equal(errorOf(tooOld).code, "PgToolMissing", tooOld.out);
      assert.match(errorOf(tooOld).message, /PostgreSQL 9, older than the server's 1\d/);
      assert.equal(existsSync(target), false);
    } finally {
      rmSync(empty, { recursive: true });
      rmSync(old, { recursive: true });
    }
  });

  it("restores into the empty database B: a node on it has everything back", async () => {
    const token = t.server.adminToken;
    await t.close();
    const run = await runPave(t, ["restore", file, "--store", cluster.url("b"), "--json"]);
    assert.equal(run.code, 0, run.out + run.err);
    assert.deepEqual(json(run).contents, backup.contents);
    const t2 = await startTestServer({ store: cluster.url("b"), env });
    try {
      const client = new PaveClient({ url: t2.server.url, token });
      await checkRestored({ ...t2, client, server: { ...t2.server, adminToken: token } }, before_, populated);
      // B now holds a store: a second restore is refused, and so is --force while a node is connected.
      const again = await runPave(t, ["restore", file, "--store", cluster.url("b"), "--json"]);
      assert.equal(errorOf(again).code, "StoreInUse");
      assert.match(errorOf(again).message, /is not empty/);
      const forced = await runPave(t, ["restore", file, "--store", cluster.url("b"), "--force", "--json"]);
      assert.equal(errorOf(forced).code, "StoreInUse");
      assert.match(errorOf(forced).message, /Pave connections are open/);
    } finally {
      await t2.close();
    }
    // With no node on it, --force replaces the store in one transaction.
    const forced = await runPave(t, ["restore", file, "--store", cluster.url("b"), "--force", "--json"]);
    assert.equal(forced.code, 0, forced.out + forced.err);
    assert.deepEqual(json(forced).contents, backup.contents);
  });

  it("refuses an SQLite backup and a truncated dump, and leaves the database empty", async () => {
    await admin.query("CREATE DATABASE c");
    const sqliteFile = join(dir, "sqlite.db");
    writeFileSync(sqliteFile, Buffer.concat([Buffer.from("SQLite format 3\0", "latin1"), Buffer.alloc(100)]));
    const mismatch = await runPave(t, ["restore", sqliteFile, "--store", cluster.url("c"), "--json"]);
    assert.equal(errorOf(mismatch).code, "BackupMismatch");
    assert.match(errorOf(mismatch).message, /SQLite backup .* PostgreSQL store/);
    const truncated = join(dir, "truncated.pgdump");
    const whole = readFileSync(file);
    writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const cut = await runPave(t, ["restore", truncated, "--store", cluster.url("c"), "--json"]);
    assert.equal(errorOf(cut).code, "BackupInvalid", cut.out);
    assert.match(errorOf(cut).message, /damaged or truncated/);
    const c = new pg.Pool({ connectionString: cluster.url("c"), max: 1 });
    try {
      const { rows } = await c.query("select count(*)::int as n from pg_tables where schemaname = 'public'");
      assert.equal(rows[0].n, 0);
    } finally {
      await c.end();
    }
  });
});
