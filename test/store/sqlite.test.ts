// The SQLite adapter: the shared Store contract in memory, plus what only a file store shows (WAL, reopening).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Worker } from "node:worker_threads";
import SQLite from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect } from "kysely";
import { v7 } from "uuid";
import { LINE_ID_BASE, LINE_SLOTS, packActivations, unpackChunk } from "../../src/store/activation-chunks.ts";
import { type Activation, type LogLine, openStore } from "../../src/store/index.ts";
import { insertActivationChunks } from "../../src/store/kysely-activations.ts";
import { fromSpan } from "../../src/store/kysely-store.ts";
import { migrationProvider } from "../../src/store/migrations/index.ts";
import { insertLogChunks, packLogLines } from "../../src/store/migrations/legacy-log-chunks.ts";
import { CHUNK_COLUMNS, SPAN_COLUMNS } from "../../src/store/sqlite/index.ts";
import { storeContract } from "./contract.ts";
import { line } from "./contract-logs.ts";
import { activationAt } from "./contract-rollups.ts";

storeContract("sqlite in memory", () => openStore(":memory:"));

// A file store writes activations on its own thread: the contract must hold through it too.
const files = await mkdtemp(join(tmpdir(), "pave-contract-"));
let opened = 0;
storeContract("sqlite file", () => openStore(join(files, `${++opened}.db`)));
after(() => rm(files, { recursive: true, force: true }));

describe("sqlite rows", () => {
  it("list their values in the insert statements' column order", () => {
    // The writer sends each row as Object.values of a from* literal: the literal's field order is the column order.
    const [chunk] = packActivations([activationAt(1)]).chunks;
    assert.deepEqual(Object.keys(chunk ?? {}), [...CHUNK_COLUMNS]);
    const span = fromSpan({
      traceId: "t",
      spanId: "s",
      parentSpanId: null,
      name: "n",
      kind: "server",
      startedAt: 1,
      durationMs: 1,
      status: "ok",
      statusMessage: null,
      attributes: {},
      activationId: "a",
      env: "prod",
      function: "f",
    });
    assert.deepEqual(Object.keys(span), [...SPAN_COLUMNS]);
  });
});

describe("sqlite file store", () => {
  it("stores what the writer thread gets as bytes as text: chunk bodies read and match as text", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pave-store-"));
    const path = join(dir, "pave.db");
    const store = await openStore(`sqlite:${path}`);
    const a = activationAt(Date.now(), { httpPath: "/ü?q=😀" });
    await store.insertActivations([a], [line(a, "grüße")]);
    await store.close();
    const db = new SQLite(path, { readonly: true });
    try {
      const row = db.prepare("select typeof(body) as type from activation_chunks").get() as { type: string };
      assert.equal(row.type, "text");
      const lines = db.prepare("select count(*) as n from activation_chunks where body like '%grüße%'").get() as {
        n: number;
      };
      assert.equal(lines.n, 1);
      const chunk = db.prepare("select body from activation_chunks").get() as { body: string };
      assert.ok(chunk.body.includes("/ü?q=😀"));
    } finally {
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a transaction that reads before it writes survives another connection committing meanwhile", async () => {
    // The activation writer thread is such a connection. With SQLite's default DEFERRED transactions, a publish
    // (check the topic, then insert) whose snapshot went stale failed at once with SQLITE_BUSY: a 500 under load.
    const dir = await mkdtemp(join(tmpdir(), "pave-store-"));
    const path = join(dir, "pave.db");
    const store = await openStore(`sqlite:${path}`);
    // Another thread committing in a tight loop, as the writer thread does under load.
    const noise = new Worker(
      `const SQLite = require("better-sqlite3");
       const { workerData, parentPort } = require("node:worker_threads");
       const db = new SQLite(workerData);
       db.pragma("busy_timeout = 5000");
       db.exec("create table if not exists noise (n integer)");
       const insert = db.prepare("insert into noise values (1)");
       let stop = false;
       parentPort.on("message", () => { stop = true; });
       const loop = () => { for (let i = 0; i < 50; i++) insert.run(); if (!stop) setImmediate(loop); else db.close(); };
       loop();`,
      { eval: true, workerData: path },
    );
    try {
      await store.createTopic("prod", "t", 1);
      for (let i = 0; i < 300; i++) {
        const id = `0190${String(i).padStart(28, "0")}`;
        await store.publishEvents("prod", "t", [
          { id, payload: "{}", correlationId: "c", traceId: "t", source: "test", publishedAt: i },
        ]);
      }
      assert.equal((await store.listEvents("prod", "t", { limit: 1000 })).length, 300);
    } finally {
      noise.postMessage("stop");
      await noise.terminate();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

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

describe("migrations from 001", () => {
  it("give activations recorded before 002 no CPU time, zero GB-seconds and no egress, and carry them and their lines into chunks", async () => {
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
      for (const [i, message] of ["first", "second"].entries()) {
        await old
          .insertInto("logs" as never)
          .values({
            activation_id: "0190a000-0000-7000-8000-000000000001",
            env: "prod",
            function: "old",
            version: "v1",
            ts: 1000 + i,
            level: "info",
            message,
          } as never)
          .execute();
      }
      await old.destroy();

      const store = await openStore(path);
      try {
        const a = await store.getActivation("0190a000-0000-7000-8000-000000000001");
        assert.ok(a);
        assert.equal(a.cpuMs, null);
        assert.equal(a.gbSeconds, 0);
        assert.deepEqual(a.egress, []);
        assert.equal(a.billedMs, 3);
        // Migrations 017 and 018 carried the activation and its lines into chunks, and 019 its lines into its row, in
        // their order: a line now says its activation's trace and correlation (001's lines had none of their own).
        assert.equal(a.traceId, "t");
        assert.equal(a.correlationId, "c");
        const lines = await store.listLogs({ env: "prod", activationId: a.id, limit: 10 });
        assert.deepEqual(
          lines.map((l) => [l.message, l.ts, l.traceId, l.fields]),
          [
            ["first", 1000, "t", null],
            ["second", 1001, "t", null],
          ],
        );
        assert.deepEqual((await store.listActivations({ env: "prod", correlationId: "c", limit: 5 })).length, 1);
        assert.deepEqual(
          (await store.listLogs({ env: "prod", grep: "second", limit: 5 })).map((l) => l.id),
          [lines[1]?.id],
        );
      } finally {
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("migration 019", () => {
  /** A file store migrated up to 018, holding `activations` and their `lines` as 018 stored them. */
  async function storeAt018(path: string, batches: [Activation[], LogLine[]][]): Promise<void> {
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SQLite(path) }) });
    try {
      const migrator = new Migrator({ db: old, provider: migrationProvider, migrationTableName: "pave_migrations" });
      assert.equal((await migrator.migrateTo("018-log-chunks")).error, undefined);
      for (const [activations, lines] of batches) {
        const packed = packActivations(activations);
        const chunks = packed.chunks.map(({ lines: _, levels: _l, first_line_ts: _f, last_line_ts: _t, ...c }) => c);
        await insertActivationChunks(old as never, { chunks, links: packed.links });
        await insertLogChunks(old as never, packLogLines(lines));
      }
    } finally {
      await old.destroy();
    }
  }

  it("carries every line of a chunk that held more than one may now, splitting it in its place; links follow", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pave-migrate-"));
    try {
      const path = join(dir, "pave.db");
      const T = Date.now() - 60_000;
      // 1000 activations of 40 lines: one chunk of activations, 40,000 lines, more than LINE_SLOTS.
      const acts = Array.from({ length: 1000 }, (_, i) =>
        activationAt(T + i, { id: v7({ msecs: T + i }), correlationId: i === 999 ? "order-9" : "" }),
      ).map((a) => ({ ...a, correlationId: a.correlationId || a.id }));
      const lines = acts.flatMap((a, i) => Array.from({ length: 40 }, (_, j) => line(a, `a${i} l${j}`)));
      assert.ok(lines.length > LINE_SLOTS);
      // A later batch: its line stays the newest, after every part the first chunk is split into.
      const later = activationAt(T + 5000, { id: v7({ msecs: T + 5000 }) });
      await storeAt018(path, [
        [acts, lines],
        [[later], [line(later, "later")]],
      ]);
      const store = await openStore(path);
      try {
        const all = await store.listLogs({ env: "prod", limit: 100_000 });
        assert.equal(all.length, lines.length + 1);
        assert.deepEqual(
          all.map((l) => l.message),
          [...lines.map((l) => l.message), "later"],
        );
        assert.deepEqual(
          (await store.listLogs({ env: "prod", limit: 1 })).map((l) => l.message),
          ["later"],
        );
        assert.ok(all.every((l) => (l.id as number) >= LINE_ID_BASE));
        const last = acts.at(-1) as Activation;
        assert.deepEqual(await store.getActivation(last.id), last);
        // The linked activation moved to a chunk of its own, and is still found by its correlation id.
        assert.deepEqual(
          (await store.listActivations({ env: "prod", correlationId: "order-9", limit: 5 })).map((a) => a.id),
          [last.id],
        );
        assert.equal((await store.listLogs({ env: "prod", correlationId: "order-9", limit: 100 })).length, 40);
        assert.equal((await store.listActivations({ env: "prod", limit: 2000 })).length, 1001);
      } finally {
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("undone with no line stored, leaves bodies the previous release reads (format 2)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pave-migrate-"));
    try {
      const path = join(dir, "pave.db");
      const store = await openStore(path);
      const a = activationAt(Date.now(), { cold: true });
      await store.insertActivations([a], []);
      await store.close();
      const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SQLite(path) }) });
      try {
        const migrator = new Migrator({ db, provider: migrationProvider, migrationTableName: "pave_migrations" });
        assert.equal((await migrator.migrateTo("018-log-chunks")).error, undefined);
        const raw = new SQLite(path, { readonly: true });
        const { body } = raw.prepare("select body from activation_chunks").get() as { body: string };
        raw.close();
        assert.equal(JSON.parse(body)[0], 2);
        assert.deepEqual(
          unpackChunk({ env: a.env, function: a.function, version: a.version, trigger: a.trigger, body }),
          [a],
        );
      } finally {
        await db.destroy();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
