// Backup and restore of a PostgreSQL store by PostgreSQL's own tools: `pg_dump --format=custom` of one snapshot that
// the summary's counts are read in too, and `pg_restore` in one transaction into an empty database.
import { stat } from "node:fs/promises";
import { Kysely, PostgresDialect, sql } from "kysely";
import { PaveError } from "../../errors.ts";
import { migrationProvider } from "../migrations/index.ts";
import { createPool } from "../postgres/index.ts";
import type { Database } from "../schema.ts";
import { type BackupContents, countContents, migrationsRun } from "./contents.ts";
import { findPgTool, type PgTool, readWithPgTool, runPgTool } from "./pg-tools.ts";
import { checkTarget, writeThenRename } from "./target-file.ts";

export interface PgBackupResult {
  bytes: number;
  contents: BackupContents;
  /** The pg_dump or pg_restore that ran, and its major version. */
  tool: { path: string; major: number };
}

export interface PgBackupOptions {
  force: boolean;
  /** Where PATH, PAVE_PG_BINDIR and the tools' own PG* settings come from. */
  env: Record<string, string | undefined>;
}

/** A Kysely on one connection of its own (not a server's pool), for the duration of `fn`. */
async function withDatabase<T>(url: string, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPool(url, { maxConnections: 1 }) }) });
  try {
    return await fn(db);
  } catch (err) {
    if (err instanceof PaveError) throw err;
    throw new PaveError("BackupFailed", `the database at ${redact(url)} failed: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    await db.destroy();
  }
}

async function serverMajor(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ v: string }>`select current_setting('server_version_num') as v`.execute(db);
  return Math.floor(Number(rows[0]?.v) / 10_000);
}

/**
 * Dumps the store at `url` into `file`. The counts and the dump read the same snapshot: this connection exports it
 * from a repeatable-read transaction and pg_dump imports it (`--snapshot`), so the summary describes the file.
 */
export async function backupPostgres(url: string, file: string, opts: PgBackupOptions): Promise<PgBackupResult> {
  await checkTarget(file, opts.force);
  return withDatabase(url, (db) =>
    db.connection().execute(async (conn) => {
      const tool = findPgTool("pg_dump", await serverMajor(conn), opts.env);
      await sql`begin isolation level repeatable read read only`.execute(conn);
      try {
        if ((await migrationsRun(conn)).length === 0) {
          throw new PaveError("StoreNotFound", `the database at ${redact(url)} holds no Pave store`);
        }
        const { rows } = await sql<{ id: string }>`select pg_export_snapshot() as id`.execute(conn);
        const contents = await countContents(conn);
        await writeThenRename(file, (tmp) =>
          runPgTool(tool, ["--format=custom", `--file=${tmp}`, `--snapshot=${rows[0]?.id}`], url, opts.env),
        );
        return { bytes: (await stat(file)).size, contents, tool };
      } finally {
        await sql`rollback`.execute(conn);
      }
    }),
  );
}

/**
 * Restores the dump in `file` into the database at `url`, in one transaction: a failure leaves the database as it
 * was. The database must be empty — a restore never mixes with or silently drops what is there — unless `force`,
 * which drops the dump's tables first (`--clean --if-exists`) and still refuses while Pave nodes are connected.
 */
export async function restorePostgres(
  file: string,
  url: string,
  opts: PgBackupOptions,
): Promise<Omit<PgBackupResult, "bytes">> {
  const tool = await withDatabase(url, async (db) => {
    const major = await serverMajor(db);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_tables where schemaname not in ('pg_catalog', 'information_schema')`.execute(
      db,
    );
    const tables = rows[0]?.n ?? 0;
    if (tables > 0 && !opts.force) {
      throw new PaveError(
        "StoreInUse",
        `the database at ${redact(url)} is not empty (${tables} tables); restore into a new database (createdb), or pass --force to replace its Pave tables`,
      );
    }
    const nodes = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and application_name = 'pave'`.execute(db);
    const connected = nodes.rows[0]?.n ?? 0;
    if (connected > 0) {
      throw new PaveError(
        "StoreInUse",
        `${connected} Pave connections are open on ${redact(url)}; stop the nodes that use it, then restore`,
      );
    }
    return findPgTool("pg_restore", major, opts.env);
  });
  await checkArchive(file, tool, opts.env);
  const args = ["--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges"];
  if (opts.force) args.push("--clean", "--if-exists");
  await runPgTool(tool, [...args, file], url, opts.env);
  const contents = await withDatabase(url, countContents);
  return { contents, tool };
}

/**
 * Reads the whole archive without a database: BackupInvalid when it is damaged or truncated, holds no Pave store, or
 * was made by a newer Pave (its `pave_migrations` rows name migrations this one does not know).
 */
async function checkArchive(file: string, tool: PgTool, env: Record<string, string | undefined>): Promise<void> {
  await readWithPgTool(tool, ["--file=/dev/null"], file, env);
  const script = await readWithPgTool(tool, ["--file=-", "--data-only", "--table=pave_migrations"], file, env);
  // The table's rows come as `COPY … FROM stdin;`, one tab-separated row per line, up to `\.`.
  const rows = /^COPY \S*pave_migrations .*FROM stdin;\n([\s\S]*?)^\\\.$/m.exec(script)?.[1];
  const ran = (rows ?? "").split("\n").flatMap((line) => (line ? [line.split("\t")[0] as string] : []));
  if (ran.length === 0) throw new PaveError("BackupInvalid", `${file} is a pg_dump archive but holds no Pave store`);
  const known = new Set(Object.keys(await migrationProvider.getMigrations()));
  const unknown = ran.filter((m) => !known.has(m));
  if (unknown.length > 0) {
    throw new PaveError(
      "BackupInvalid",
      `${file} cannot be restored: a newer Pave made it (its schema has ${unknown.join(", ")}); upgrade Pave, then restore`,
    );
  }
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(a malformed URL)";
  }
}
