// Runs the versioned migrations to the latest and fails loudly with the migration that broke.
import { type Kysely, Migrator } from "kysely";
import { migrationProvider } from "./migrations/index.ts";
import type { Database } from "./schema.ts";

export async function migrate(db: Kysely<Database>): Promise<void> {
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
