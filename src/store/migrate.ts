// Runs the versioned migrations to the latest and fails loudly with the migration that broke.
// On PostgreSQL several nodes may start at once: they take turns on an advisory lock, so the schema is built once.
import { type Kysely, Migrator, PostgresAdapter, sql } from "kysely";
import { migrationProvider } from "./migrations/index.ts";
import type { Database } from "./schema.ts";

/**
 * Pave's own advisory-lock key (the first 8 bytes of sha256("pave:migrate"), as a signed bigint): not kysely's
 * built-in key, which every kysely application on the same database would share.
 */
const MIGRATION_LOCK_KEY = 3_950_443_613_235_363_297n;

export async function migrate(db: Kysely<Database>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return migrateOn(db);
  // One connection holds the lock for the whole run, including the migration table's creation, which kysely does
  // outside its own lock and which races when two nodes find it missing together.
  await db.connection().execute(async (conn) => {
    // No statement timeout while waiting for another node's migrations or running a long one of our own.
    await sql`set statement_timeout = 0`.execute(conn);
    await sql`select pg_advisory_lock(${sql.lit(MIGRATION_LOCK_KEY)})`.execute(conn);
    try {
      await migrateOn(conn);
    } finally {
      await sql`select pg_advisory_unlock(${sql.lit(MIGRATION_LOCK_KEY)})`.execute(conn);
      await sql`reset statement_timeout`.execute(conn);
    }
  });
}

async function migrateOn(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider,
    migrationTableName: "pave_migrations",
    // Each migration only adds its own tables and columns, and they are developed side by side: a data directory
    // that already ran 005 must still take 004 when it lands later, instead of refusing to start.
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`store migration ${failed} failed`, { cause: error });
  }
}
