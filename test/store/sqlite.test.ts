// The SQLite adapter: the shared Store contract in memory, plus what only a file store shows (WAL, reopening).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import SQLite from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect } from "kysely";
import { openStore } from "../../src/store/index.ts";
import { migrationProvider } from "../../src/store/migrations/index.ts";
import { storeContract } from "./contract.ts";

storeContract("sqlite in memory", () => openStore(":memory:"));

// A file store writes activations on its own thread: the contract must hold through it too.
const files = await mkdtemp(join(tmpdir(), "pave-contract-"));
let opened = 0;
storeContract("sqlite file", () => openStore(join(files, `${++opened}.db`)));
after(() => rm(files, { recursive: true, force: true }));

describe("sqlite file store", () => {
  it("keeps data across reopen, migrates once and runs in WAL mode", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pave-store-"));
    try {
      const path = join(dir, "pave.db");
      const first = await openStore(`sqlite:${path}`);
      await first.deploy(
        { env: "prod", function: "hello", id: "abc123", manifest: "{}", bundle: "x", bundleBytes: 1, createdBy: "t" },
        "live",
        1000,
      );
      await first.close();

      const second = await openStore(path);
      assert.equal(await second.getAlias("prod", "hello", "live"), "abc123");
      assert.deepEqual(await second.listEnvironments(), ["prod"]);
      await second.close();

      const raw = new SQLite(path, { readonly: true });
      try {
        assert.equal(raw.pragma("journal_mode", { simple: true }), "wal");
        const migrations = raw.prepare("select name from pave_migrations").all() as { name: string }[];
        assert.deepEqual(
          migrations.map((m) => m.name),
          // Every registered migration, each once (a list here would change with every migration added).
          Object.keys(await migrationProvider.getMigrations()).sort(),
        );
        const envs = raw.prepare("select count(*) as n from environments").get() as { n: number };
        assert.equal(envs.n, 1, "reopening must not re-run the seeding migration");
      } finally {
        raw.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("migration 002-bindings", () => {
  it("gives activations recorded before it no CPU time, zero GB-seconds and no egress", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pave-migrate-"));
    try {
      const path = join(dir, "pave.db");
      const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SQLite(path) }) });
      const migrator = new Migrator({ db: old, provider: migrationProvider, migrationTableName: "pave_migrations" });
      const { error } = await migrator.migrateTo("001-initial");
      assert.equal(error, undefined);
      await old
        .insertInto("activations" as never)
        .values({
          id: "0190a000-0000-7000-8000-000000000001",
          env: "prod",
          function: "old",
          version: "v1",
          trigger: "http",
          started_at: 1000,
          duration_ms: 2.5,
          billed_ms: 3,
          memory_mb: 128,
          status: "success",
          error_code: null,
          error_message: null,
          http_status: 200,
          cold: 1,
          trace_id: "t",
          correlation_id: "c",
          logs_dropped: 0,
        } as never)
        .execute();
      await old.destroy();

      const store = await openStore(path);
      try {
        const a = await store.getActivation("0190a000-0000-7000-8000-000000000001");
        assert.ok(a);
        assert.equal(a.cpuMs, null);
        assert.equal(a.gbSeconds, 0);
        assert.deepEqual(a.egress, []);
        assert.equal(a.billedMs, 3);
      } finally {
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
