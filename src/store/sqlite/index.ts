// The embedded default: one SQLite file in WAL mode, migrated on open.
// WAL lets the dashboard and API read while the activation writer commits batches.
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { fromActivation, KyselyStore } from "../kysely-store.ts";
import { migrate } from "../migrate.ts";
import type { Database } from "../schema.ts";
import type { Activation, LogLine } from "../types.ts";

const ACTIVATION_COLUMNS = [
  "id",
  "env",
  "function",
  "version",
  "trigger",
  "started_at",
  "duration_ms",
  "billed_ms",
  "memory_mb",
  "status",
  "error_code",
  "error_message",
  "http_status",
  "cold",
  "trace_id",
  "correlation_id",
  "logs_dropped",
] as const;

/**
 * The activation writer is the one write on the hot path's heels (every invocation), so SQLite gets prepared
 * statements for it: building each batch through Kysely cost ~12% of the gateway's CPU. Everything else is shared.
 */
class SqliteStore extends KyselyStore {
  readonly #insert: (activations: Activation[], logs: LogLine[]) => void;

  constructor(db: Kysely<Database>, sqlite: SQLite.Database) {
    super("sqlite", db);
    const activation = sqlite.prepare(
      `INSERT INTO activations (${ACTIVATION_COLUMNS.join(", ")}) VALUES (${ACTIVATION_COLUMNS.map((c) => `@${c}`).join(", ")})`,
    );
    const log = sqlite.prepare(
      "INSERT INTO logs (activation_id, env, function, version, ts, level, message) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.#insert = sqlite.transaction((activations: Activation[], logs: LogLine[]) => {
      for (const a of activations) activation.run(fromActivation(a));
      for (const l of logs) log.run(l.activationId, l.env, l.function, l.version, l.ts, l.level, l.message);
    });
  }

  override async insertActivations(activations: Activation[], logs: LogLine[]): Promise<void> {
    if (activations.length === 0 && logs.length === 0) return;
    // Through Kysely's one connection, so the batch never lands inside a transaction Kysely has open.
    await this.db.connection().execute(async () => this.#insert(activations, logs));
  }
}

/** Opens (creating if needed) the SQLite store at `path`; `:memory:` gives a private in-memory store. */
export async function openSqliteStore(path: string): Promise<KyselyStore> {
  const sqlite = new SQLite(path);
  sqlite.pragma("journal_mode = WAL");
  // NORMAL is durable across process crashes in WAL mode; only a power loss can drop the last commits.
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrate(db);
  return new SqliteStore(db, sqlite);
}
