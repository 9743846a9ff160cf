// The adapter-neutral queries behind environments: their records, copying one's config into a new one (in one
// transaction: functions, versions, aliases, schedules, topics — never kv data or secrets) and tearing one down.
import { type Kysely, type Selectable, sql, type Transaction } from "kysely";
import { PaveError } from "../errors.ts";
import type { EnvironmentContents, EnvironmentCopy, EnvironmentRecord, FunctionActivity } from "./environment-types.ts";
import type { Database } from "./schema.ts";

type Db = Kysely<Database>;

/** The tables holding an environment's things, keyed by `env`; what a teardown deletes. */
const ENV_TABLES = ["aliases", "versions", "schedules", "functions", "kv", "secrets", "events", "topics"] as const;

function toEnvironment(r: Selectable<Database["environments"]>): EnvironmentRecord {
  return {
    name: r.name,
    createdAt: Number(r.created_at),
    createdBy: r.created_by,
    from: r.source,
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
  };
}

export async function getEnvironment(db: Db | Transaction<Database>, name: string) {
  const row = await db.selectFrom("environments").selectAll().where("name", "=", name).executeTakeFirst();
  return row && toEnvironment(row);
}

export async function listEnvironmentRecords(db: Db): Promise<EnvironmentRecord[]> {
  const rows = await db.selectFrom("environments").selectAll().orderBy("name").execute();
  return rows.map(toEnvironment);
}

export async function createEnvironment(db: Db, env: EnvironmentRecord, now: number): Promise<EnvironmentCopy> {
  return db.transaction().execute(async (tx) => {
    const from = env.from;
    if (from !== null && !(await getEnvironment(tx, from))) {
      throw new PaveError("EnvironmentNotFound", `no environment ${from} to copy from; see \`pave env ls\``);
    }
    const inserted = await tx
      .insertInto("environments")
      .values({
        name: env.name,
        created_at: env.createdAt,
        created_by: env.createdBy,
        source: from,
        expires_at: env.expiresAt,
      })
      .onConflict((oc) => oc.column("name").doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
      throw new PaveError("EnvironmentExists", `environment ${env.name} already exists; see \`pave env ls\``);
    }
    const copy: EnvironmentCopy = { functions: 0, versions: 0, aliases: 0, schedules: 0, topics: 0 };
    if (from === null) return copy;
    // Typed in SQL, so PostgreSQL reads the bound name as text; times are whole numbers, inlined for the same reason.
    const name = sql<string>`cast(${env.name} as text)`;
    const at = sql<number>`${sql.lit(Math.trunc(now))}`;
    const count = (r: { numInsertedOrUpdatedRows?: bigint }) => Number(r.numInsertedOrUpdatedRows ?? 0);
    // The copy counts as a deploy into the new environment: functions and aliases are new there (now); versions
    // are the same immutable builds, so they keep their ids, seqs, bundles and creation times.
    copy.functions = count(
      await tx
        .insertInto("functions")
        .columns(["env", "name", "created_at", "updated_at", "next_seq"])
        .expression(
          tx
            .selectFrom("functions")
            .select([name.as("env"), "name", at.as("c"), at.as("u"), "next_seq"])
            .where("env", "=", from),
        )
        .executeTakeFirst(),
    );
    copy.versions = count(
      await tx
        .insertInto("versions")
        .columns(["env", "function", "id", "seq", "manifest", "bundle", "bundle_bytes", "created_at", "created_by"])
        .expression(
          tx
            .selectFrom("versions")
            .select([
              name.as("env"),
              "function",
              "id",
              "seq",
              "manifest",
              "bundle",
              "bundle_bytes",
              "created_at",
              "created_by",
            ])
            .where("env", "=", from),
        )
        .executeTakeFirst(),
    );
    copy.aliases = count(
      await tx
        .insertInto("aliases")
        .columns(["env", "function", "name", "version", "split", "shadow", "updated_at"])
        .expression(
          tx
            .selectFrom("aliases")
            // A split or shadow in progress is copied as it stands: the copy serves what the source serves.
            .select([name.as("env"), "function", "name", "version", "split", "shadow", at.as("u")])
            .where("env", "=", from),
        )
        .executeTakeFirst(),
    );
    // The schedule, not its lease: the new environment's runs start afresh (last tick, last run and status unset).
    copy.schedules = count(
      await tx
        .insertInto("schedules")
        .columns(["env", "function", "cron", "timezone", "overlap", "missed", "next_fire_at", "updated_at"])
        .expression(
          tx
            .selectFrom("schedules")
            .select([name.as("env"), "function", "cron", "timezone", "overlap", "missed", "next_fire_at", at.as("u")])
            .where("env", "=", from),
        )
        .executeTakeFirst(),
    );
    // Topic definitions are config; their events are data and stay behind.
    copy.topics = count(
      await tx
        .insertInto("topics")
        .columns(["env", "name", "created_at"])
        .expression(
          tx
            .selectFrom("topics")
            .select([name.as("env"), "name", at.as("c")])
            .where("env", "=", from),
        )
        .executeTakeFirst(),
    );
    return copy;
  });
}

export async function environmentContents(db: Db | Transaction<Database>, env: string): Promise<EnvironmentContents> {
  const n = async (table: "functions" | "kv" | "secrets" | "topics" | "schedules") => {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("env", "=", env)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  };
  return {
    functions: await n("functions"),
    kvEntries: await n("kv"),
    secrets: await n("secrets"),
    topics: await n("topics"),
    schedules: await n("schedules"),
  };
}

export async function deleteEnvironment(db: Db, name: string): Promise<EnvironmentContents | undefined> {
  return db.transaction().execute(async (tx) => {
    if (!(await getEnvironment(tx, name))) return undefined;
    const contents = await environmentContents(tx, name);
    // Activations, logs, rollups and audit records stay for the record, as they do when one function is removed.
    for (const table of ENV_TABLES) await tx.deleteFrom(table).where("env", "=", name).execute();
    await tx.deleteFrom("environments").where("name", "=", name).execute();
    return contents;
  });
}

export async function functionActivity(db: Db, env: string, since: number): Promise<FunctionActivity[]> {
  const rows = await db
    .selectFrom("rollups")
    .select((eb) => [
      "function",
      eb.fn.max<number>("minute").as("last"),
      eb.fn.sum<number>(sql`case when minute >= ${since} then ${sql.ref("count")} else 0 end`).as("invocations"),
      eb.fn.sum<number>(sql`case when minute >= ${since} then ${sql.ref("gb_seconds")} else 0 end`).as("gb_seconds"),
    ])
    .where("env", "=", env)
    .groupBy("function")
    .orderBy("function")
    .execute();
  return rows.map((r) => ({
    function: r.function,
    lastInvokedAt: r.last === null ? null : Number(r.last),
    invocations: Number(r.invocations ?? 0),
    gbSeconds: Number(r.gb_seconds ?? 0),
  }));
}
