// The embedded default: one SQLite file in WAL mode, migrated on open.
// WAL lets the dashboard and API read while the activation writer commits batches.
import SQLite from "better-sqlite3";
import { CompiledQuery, type Driver, Kysely, type SqlBool, SqliteDialect, sql } from "kysely";
import { foldAscii, type GrepSpelling } from "../kysely-logs.ts";
import { ROLLUP_UPSERT_SQL, rollupValues } from "../kysely-rollups.ts";
import { fromSpan, KyselyStore } from "../kysely-store.ts";
import { migrate } from "../migrate.ts";
import type { RecordBatch } from "../record-batch.ts";
import type { Database } from "../schema.ts";
import { type Batch, type BatchSql, batchWriter } from "./batch-writer.ts";
import { WriterThread } from "./writer.ts";

/** A chunk of activations' columns, in the order the writer binds them (ChunkRow's fields). */
export const CHUNK_COLUMNS = [
  "env",
  "function",
  "version",
  "trigger",
  "first_id",
  "last_id",
  "count",
  "errors",
  "gb_seconds",
  "lines",
  "levels",
  "first_line_ts",
  "last_line_ts",
  "body",
] as const;

export const SPAN_COLUMNS = [
  "trace_id",
  "span_id",
  "parent_span_id",
  "name",
  "kind",
  "started_at",
  "duration_ms",
  "status",
  "status_message",
  "attributes",
  "activation_id",
  "env",
  "function",
] as const;

/**
 * An insert of one row, its values bound in the columns' order. Names are quoted: `count` and `trigger` are words.
 * A chunk's `body` comes as the UTF-8 bytes of its JSON (a blob, to SQLite) and is stored as the text they spell.
 */
function insertSql(table: string, columns: readonly string[]): string {
  const names = columns.map((c) => `"${c}"`).join(", ");
  const values = columns.map((c) => (c === "body" ? "CAST(? AS TEXT)" : "?")).join(", ");
  return `INSERT INTO ${table} (${names}) VALUES (${values})`;
}

const BATCH_SQL: BatchSql = {
  chunkSql: insertSql("activation_chunks", CHUNK_COLUMNS),
  linkSql: "INSERT INTO activation_links (kind, key, activation_id, chunk_id) VALUES (?, ?, ?, ?)",
  spanSql: insertSql("spans", SPAN_COLUMNS),
  rollupSql: ROLLUP_UPSERT_SQL,
};

/**
 * The activation writer is the one write on the hot path's heels (every invocation), so SQLite gets prepared
 * statements for it (building each batch through Kysely cost ~12% of the gateway's CPU), run on a thread of their own
 * for a file store (see writer.ts). Everything else is shared.
 */
class SqliteStore extends KyselyStore {
  readonly #insert: (batch: Batch) => Promise<void>;
  readonly #thread: WriterThread | undefined;

  constructor(db: Kysely<Database>, sqlite: SQLite.Database, path: string, eagerWriter: boolean) {
    super("sqlite", db);
    if (path === ":memory:") {
      // A private in-memory database cannot be opened by a second connection: write through Kysely's one.
      const write = batchWriter(sqlite, BATCH_SQL);
      // Through Kysely's connection, so the batch never lands inside a transaction Kysely has open.
      this.#insert = (batch) => db.connection().execute(async () => write(batch));
    } else {
      const thread = new WriterThread({ path, ...BATCH_SQL });
      this.#insert = (batch) => thread.write(batch);
      this.#thread = thread;
      if (eagerWriter) thread.start();
    }
  }

  override async insertBatch(batch: RecordBatch): Promise<void> {
    const { activations, spans } = batch;
    if (activations.chunks.length === 0 && spans.length === 0) return;
    await this.#insert({
      // Object.values, not a lookup per column: the literals list their fields in the columns' order
      // (test/store/sqlite.test.ts checks it).
      chunks: activations.chunks.map((c) => Object.values(c)),
      links: activations.links.map((l) => [l.kind, l.key, l.activation_id, l.chunk]),
      spans: spans.map((sp) => Object.values(fromSpan(sp))),
      rollups: batch.rollups.map(rollupValues),
    });
  }

  /**
   * SQLite's LIKE already ignores ASCII case (and its lower() folds nothing else), so lower() would only copy every
   * chunk scanned: without it a `--grep` over a million lines is ~20% quicker.
   */
  protected override readonly grep: GrepSpelling = {
    condition: (column, pattern) => sql<SqlBool>`${sql.ref(column)} like ${pattern} escape '\\'`,
    fold: foldAscii,
  };

  override async close(): Promise<void> {
    await this.#thread?.close();
    await super.close();
  }
}

/**
 * Kysely's SQLite transactions begin DEFERRED: one that reads before it writes (publish checks its topic, then
 * inserts) fails at once with SQLITE_BUSY when the writer thread commits in between, since its snapshot is then stale
 * and SQLite will not wait. BEGIN IMMEDIATE takes the write lock first, waiting (busy_timeout) instead of failing.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw("begin immediate"));
    };
    return driver;
  }
}

/**
 * Opens (creating if needed) the SQLite store at `path`; `:memory:` gives a private in-memory store. `eagerWriter`
 * boots the activation writer thread now instead of at the first write: a server wants its first activation
 * visible at once, not after the ~1 s the thread takes to start; a short-lived tool or test does not.
 */
export async function openSqliteStore(path: string, opts: { eagerWriter?: boolean } = {}): Promise<KyselyStore> {
  const sqlite = new SQLite(path);
  sqlite.pragma("journal_mode = WAL");
  // NORMAL is durable across process crashes in WAL mode; only a power loss can drop the last commits.
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) });
  await migrate(db);
  return new SqliteStore(db, sqlite, path, opts.eagerWriter ?? false);
}
