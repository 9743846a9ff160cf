// What a backup holds, counted: the summary `pave backup` and `pave restore` print, so an operator sees at a glance
// that the copy is the store they meant (and a test can compare both sides).
import type { Kysely } from "kysely";
import type { Database } from "../schema.ts";

export interface BackupContents {
  functions: number;
  versions: number;
  aliases: number;
  kvEntries: number;
  secrets: number;
  activations: number;
  auditRecords: number;
  /** The ids of the master keys the secrets are sealed with (see SecretBox.keyId): the key a restore needs. */
  secretKeyIds: string[];
  /** The newest migration the store has run: which Pave schema the backup is at. */
  schema: string | null;
}

const COUNTED = {
  functions: "functions",
  versions: "versions",
  aliases: "aliases",
  kvEntries: "kv",
  secrets: "secrets",
  auditRecords: "audit",
} as const satisfies Record<string, keyof Database>;

/** Counts the store's main records; run inside the snapshot the backup copies, so the two agree. */
export async function countContents(db: Kysely<Database>): Promise<BackupContents> {
  const counts: Record<string, number> = {};
  for (const [key, table] of Object.entries(COUNTED)) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirst();
    counts[key] = Number(row?.n ?? 0);
  }
  // Activations are stored in chunks (activation-chunks.ts): each knows how many it holds.
  const activations = await db
    .selectFrom("activation_chunks")
    .select((eb) => eb.fn.sum<number>("count").as("n"))
    .executeTakeFirst();
  counts.activations = Number(activations?.n ?? 0);
  const keys = await db.selectFrom("secrets").select("key_id").distinct().orderBy("key_id").execute();
  const schema = await latestMigration(db);
  return {
    ...(counts as Omit<BackupContents, "schema" | "secretKeyIds">),
    secretKeyIds: keys.map((k) => k.key_id),
    schema,
  };
}

/** Every migration the store has run, by name; an empty list when it has no migrations table (not a Pave store). */
export async function migrationsRun(db: Kysely<Database>): Promise<string[]> {
  try {
    const rows = await (db as unknown as Kysely<{ pave_migrations: { name: string } }>)
      .selectFrom("pave_migrations")
      .select("name")
      .execute();
    return rows.map((r) => r.name);
  } catch {
    return [];
  }
}

async function latestMigration(db: Kysely<Database>): Promise<string | null> {
  // Names start with their number, so the greatest name is the newest migration.
  return (await migrationsRun(db)).sort().at(-1) ?? null;
}
