// The store domain: the Store interface, its records, and `openStore` that picks an adapter from a URL.
// Only this folder speaks SQL.
import { openPostgresStore } from "./postgres/index.ts";
import { openSqliteStore } from "./sqlite/index.ts";
import { parseStoreUrl } from "./store-url.ts";
import type { Store } from "./types.ts";

export { billedGbSeconds, checkedMintedAt, idTime, LINE_ID_BASE, ownSpanId } from "./activation-chunks.ts";
export type * from "./audit-types.ts";
export {
  type BackupContents,
  type BackupKind,
  type BackupOptions,
  type BackupSummary,
  backupStore,
  type RestoreSummary,
  restoreStore,
} from "./backup/index.ts";
export type * from "./canary-types.ts";
export type * from "./change-types.ts";
export type * from "./environment-types.ts";
export { matchesFilter } from "./event-filter.ts";
export { FAAS_TRIGGER, invocationSpan } from "./invocation-span.ts";
export { KV_MAX_KEY_BYTES, KV_MAX_VALUE_BYTES, kvKeyProblem } from "./kv-limits.ts";
export { AUDIT_GENESIS_HASH } from "./kysely-audit.ts";
export type * from "./policy-types.ts";
export { BatchBuilder, type RecordBatch } from "./record-batch.ts";
export { DURATION_BOUNDS_MS, MINUTE_MS } from "./rollup-buckets.ts";
export { defaultStoreUrl } from "./store-url.ts";
export type * from "./types.ts";
export { ASYNC_QUEUE, TRIGGERS } from "./types.ts";
export { isStoreUnreachable, notReadyIfUnreachable } from "./unreachable.ts";

/**
 * Opens a store from a URL: `sqlite:PATH` (or a bare path) for the embedded default, `postgres://…` (or
 * `postgresql://…`) for a database several nodes share. `server` readies a SQLite store to record activations from
 * the first request on (see openSqliteStore); a PostgreSQL pool needs no warming. `pgPool` sizes that pool.
 * @example openStore("sqlite:.pave/pave.db", { server: true })
 * @example openStore("postgres://pave@db.internal:5432/pave")
 */
export async function openStore(url: string, opts: { server?: boolean; pgPool?: number } = {}): Promise<Store> {
  const at = parseStoreUrl(url);
  if (at.kind === "postgres") {
    return openPostgresStore(at.url, opts.pgPool === undefined ? {} : { maxConnections: opts.pgPool });
  }
  return openSqliteStore(at.path, { eagerWriter: opts.server ?? false });
}
