// Rollups over Kysely: the additive upsert insertActivations runs inside its transaction, the step-bucketed read
// behind the metrics API, and their retention. Adapter-neutral SQL, like kysely-store.ts.
import { type Kysely, sql, type Transaction } from "kysely";
import { HISTOGRAM_COLUMNS } from "./rollup-buckets.ts";
import type { Database } from "./schema.ts";
import type { RollupQuery, RollupRow, RollupSum } from "./types.ts";

/** The columns that add up when a batch lands on an existing minute (all but the key). */
export const ROLLUP_SUMS = [
  "count",
  "errors",
  "cold_starts",
  "throttles",
  "duration_ms",
  "billed_ms",
  "gb_seconds",
  ...HISTOGRAM_COLUMNS,
] as const;

export const ROLLUP_COLUMNS = ["env", "function", "version", "minute", ...ROLLUP_SUMS] as const;

/** 44 values a row: 500 rows stay well under SQLite's 32766 bound parameters a statement. */
const ROWS_PER_UPSERT = 500;

/** A rollup row as column values, in ROLLUP_COLUMNS order (how the SQLite writer thread receives it). */
export function rollupValues(r: RollupRow): unknown[] {
  return [
    r.env,
    r.function,
    r.version,
    r.start,
    r.count,
    r.errors,
    r.coldStarts,
    r.throttles,
    r.durationMs,
    r.billedMs,
    r.gbSeconds,
    ...r.histogram,
  ];
}

/** The same upsert as a plain SQL statement with `?` placeholders, for adapters that prepare their own. */
export const ROLLUP_UPSERT_SQL = `INSERT INTO rollups (${ROLLUP_COLUMNS.map((c) => `"${c}"`).join(", ")}) VALUES (${ROLLUP_COLUMNS.map(() => "?").join(", ")}) ON CONFLICT (env, function, version, minute) DO UPDATE SET ${ROLLUP_SUMS.map((c) => `"${c}" = rollups."${c}" + excluded."${c}"`).join(", ")}`;

/**
 * Adds each row to its minute: one statement per 500 keys, never a read first. Keys must be unique (RollupSums).
 * Rows are locked in key order: two nodes adding to the same minutes, each in the order its batch met them, would
 * otherwise each hold a row the other waits for (PostgreSQL breaks the deadlock by failing one batch).
 */
export async function upsertRollups(tx: Transaction<Database>, unordered: RollupRow[]): Promise<void> {
  const rows = [...unordered].sort(byKey);
  for (let i = 0; i < rows.length; i += ROWS_PER_UPSERT) {
    const values = rows.slice(i, i + ROWS_PER_UPSERT).map((r) => {
      const v = rollupValues(r);
      return Object.fromEntries(ROLLUP_COLUMNS.map((c, j) => [c, v[j]])) as Database["rollups"];
    });
    await tx
      .insertInto("rollups")
      .values(values)
      .onConflict((oc) =>
        oc
          .columns(["env", "function", "version", "minute"])
          .doUpdateSet(
            Object.fromEntries(
              ROLLUP_SUMS.map((c) => [c, sql`${sql.ref(`rollups.${c}`)} + ${sql.ref(`excluded.${c}`)}`]),
            ) as never,
          ),
      )
      .execute();
  }
}

/** Orders rows by their key: env, function, version, minute. */
function byKey(x: RollupRow, y: RollupRow): number {
  return compare(x.env, y.env) || compare(x.function, y.function) || compare(x.version, y.version) || x.start - y.start;
}

const compare = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

export async function queryRollups(db: Kysely<Database>, q: RollupQuery): Promise<RollupSum[]> {
  // The step is a validated whole number of ms, inlined: PostgreSQL matches the GROUP BY expression to the selected
  // one textually, which two separately bound parameters would defeat.
  const start = sql<number>`minute - (minute % ${sql.lit(Math.trunc(q.step))})`;
  let query = db
    .selectFrom("rollups")
    .select(["function", start.as("start")])
    .select((eb) => ROLLUP_SUMS.map((c) => eb.fn.sum<number>(c).as(c)))
    .where("env", "=", q.env)
    .where("minute", ">=", q.since)
    .where("minute", "<", q.until)
    .groupBy(["function", start])
    .orderBy("start")
    .orderBy("function");
  if (q.function !== undefined) query = query.where("function", "=", q.function);
  if (q.version !== undefined) query = query.where("version", "=", q.version);
  const rows = (await query.execute()) as unknown as Record<string, string | number | null>[];
  return rows.map((r) => {
    const n = (c: string) => Number(r[c] ?? 0);
    return {
      function: String(r.function),
      start: n("start"),
      count: n("count"),
      errors: n("errors"),
      coldStarts: n("cold_starts"),
      throttles: n("throttles"),
      durationMs: n("duration_ms"),
      billedMs: n("billed_ms"),
      gbSeconds: n("gb_seconds"),
      histogram: HISTOGRAM_COLUMNS.map(n),
    };
  });
}

export async function pruneRollups(db: Kysely<Database>, before: number): Promise<number> {
  const r = await db.deleteFrom("rollups").where("minute", "<", before).executeTakeFirst();
  return Number(r.numDeletedRows);
}
