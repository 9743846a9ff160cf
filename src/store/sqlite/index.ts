// The embedded default: one SQLite file in WAL mode, migrated on open.
// WAL lets the dashboard and API read while the activation writer commits batches.
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { KyselyStore } from "../kysely-store.ts";
import { migrate } from "../migrate.ts";
import type { Database } from "../schema.ts";

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
  return new KyselyStore("sqlite", db);
}
