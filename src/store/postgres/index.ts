// The PostgreSQL adapter: the shared Kysely store over a pg connection pool, for several pave nodes on one database.
// It adds only connection concerns (pool limits, timeouts, number parsing); every query is the shared one.
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Cluster, ClusterOptions } from "../change-types.ts";
import { KyselyStore } from "../kysely-store.ts";
import { migrate } from "../migrate.ts";
import type { Database } from "../schema.ts";
import { nulSafeText } from "../text-codec.ts";
import { PgChangeFeed } from "./change-feed.ts";
import { PgLeaderLock } from "./leader-lock.ts";

// pg returns int8 and numeric as strings so that no precision is lost; Pave's bigints are epoch ms, counters and
// sums, far below 2^53, and every caller expects numbers. The parsers are per pool (not pg's global registry), so
// an embedding application that wants strings keeps them.
const INT8_OID = 20;
const NUMERIC_OID = 1700;
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export interface PostgresStoreOptions {
  /**
   * Connections per node. Every pave node holds its own pool, so the server's max_connections bounds nodes × this.
   * @default 10
   */
  maxConnections?: number;
  /**
   * How long opening a connection may take before the query fails. Short, so `/readyz` turns not-ready quickly
   * when the database is unreachable instead of hanging the load balancer's probe.
   * @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * How long a session may sit inside a transaction without running a statement before the server ends it. A node
   * that stops mid-transaction (partitioned, stalled) must not hold its locks until TCP notices: among them the one
   * every node takes in turn to write chunks with log lines (see kysely-activations.ts insertActivationChunks).
   * @default 60000
   */
  idleInTransactionTimeoutMs?: number;
}

/** The pool behind a store; exported for tests and tools that need a raw connection (e.g. CREATE DATABASE). */
export function createPool(url: string, opts: PostgresStoreOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.maxConnections ?? 10,
    // Idle connections go back to the server after 30 s, so a quiet node does not pin its share of max_connections.
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    // A runaway query (a store bug, a lock wait) fails after 30 s instead of holding a connection forever.
    statement_timeout: 30_000,
    idle_in_transaction_session_timeout: opts.idleInTransactionTimeoutMs ?? 60_000,
    types,
    application_name: "pave",
  });
  // An idle connection that the server drops (restart, failover) emits here; without a listener it would crash the
  // process. The pool discards that connection and the next query opens a new one.
  pool.on("error", () => {});
  // The pool listens only to idle connections: one checked out (a transaction between statements, a claim) that the
  // server terminates (restart: 57P01) emitted `error` unheard, and that killed the node. The query under way fails
  // on its own; the connection is no longer queryable, so the pool drops it on release.
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

/**
 * Opens a store on a PostgreSQL database (`postgres://user@host:port/db`), migrated on open. Several nodes may open
 * the same database at once: migrations run under an advisory lock (see migrate.ts).
 * @example openPostgresStore("postgres://pave@db.internal/pave")
 */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<KyselyStore> {
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPool(url, opts) }) });
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return new PostgresStore(url, db);
}

/** The shared store plus what only several nodes need: the change feed and the leader lock, each on its own session. */
class PostgresStore extends KyselyStore {
  readonly #url: string;

  constructor(url: string, db: Kysely<Database>) {
    super("postgres", db, nulSafeText);
    this.#url = url;
  }

  override cluster(options: ClusterOptions): Cluster {
    return { changes: new PgChangeFeed(this.#url, this.db, options), leader: new PgLeaderLock(this.#url, options) };
  }
}
