// Backups of a whole store and their restore: `pave backup` and `pave restore` call these two functions, which pick
// the SQLite or PostgreSQL way from the store URL and check the file's kind against it.

import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { PaveError } from "../../errors.ts";
import { parseStoreUrl } from "../store-url.ts";
import type { BackupContents } from "./contents.ts";
import { type BackupKind, backupKind } from "./kind.ts";
import { backupPostgres, redact, restorePostgres } from "./postgres.ts";
import { backupSqlite, restoreSqlite } from "./sqlite.ts";

export type { BackupContents } from "./contents.ts";
export type { BackupKind } from "./kind.ts";

export interface BackupOptions {
  /** Replace an existing backup file (`pave backup`), or a non-empty target database (`pave restore`). */
  force?: boolean;
  /** Where PATH, PAVE_PG_BINDIR and PG* settings for pg_dump/pg_restore come from (the CLI passes process.env). */
  env: Record<string, string | undefined>;
}

export interface BackupSummary {
  kind: BackupKind;
  /** The backup file, absolute. */
  file: string;
  /** The SQLite file or the PostgreSQL URL (its password hidden). */
  store: string;
  bytes: number;
  /** How long the whole command's work took. */
  ms: number;
  contents: BackupContents;
  /** The pg_dump or pg_restore that ran (PostgreSQL only). */
  tool?: string;
}

export interface RestoreSummary extends BackupSummary {
  /** SQLite: where the replaced store was kept (moving it back undoes the restore); null when there was none. */
  previous: string | null;
}

/** Backs up the store at `storeUrl` into `file` (see sqlite.ts and postgres.ts for how each stays consistent). */
export async function backupStore(storeUrl: string, file: string, opts: BackupOptions): Promise<BackupSummary> {
  const started = performance.now();
  const at = parseStoreUrl(storeUrl);
  const target = resolve(file);
  if (at.kind === "postgres") {
    const r = await backupPostgres(at.url, target, { force: opts.force ?? false, env: opts.env });
    return { kind: "postgres", file: target, store: redact(at.url), ...r, tool: r.tool.path, ms: since(started) };
  }
  if (at.path === ":memory:") throw new PaveError("StoreNotFound", "an in-memory store has nothing to back up");
  const r = await backupSqlite(at.path, target, opts.force ?? false);
  return { kind: "sqlite", file: target, store: at.path, ...r, ms: since(started) };
}

/**
 * Restores `file` into the store at `storeUrl`. The file's first bytes say which kind of backup it is; restoring one
 * kind into the other kind of store is refused (BackupMismatch): the two engines share no file format, and
 * converting would mean a logical export of every table, which pg_dump and SQLite files are not.
 */
export async function restoreStore(file: string, storeUrl: string, opts: BackupOptions): Promise<RestoreSummary> {
  const started = performance.now();
  const source = resolve(file);
  const kind = await backupKind(source);
  const at = parseStoreUrl(storeUrl);
  if (kind !== at.kind) {
    const what = kind === "sqlite" ? "an SQLite backup" : "a PostgreSQL dump";
    const into = at.kind === "sqlite" ? `the SQLite store ${at.path}` : `the PostgreSQL store ${redact(at.url)}`;
    throw new PaveError("BackupMismatch", `${source} is ${what} and cannot be restored into ${into}`);
  }
  const bytes = (await stat(source)).size;
  if (at.kind === "postgres") {
    const r = await restorePostgres(source, at.url, { force: opts.force ?? false, env: opts.env });
    const summary = { kind, file: source, store: redact(at.url), bytes, contents: r.contents, tool: r.tool.path };
    return { ...summary, previous: null, ms: since(started) };
  }
  if (at.path === ":memory:") throw new PaveError("StoreNotFound", "a backup cannot be restored into a memory store");
  const r = await restoreSqlite(source, at.path);
  return { kind, file: source, store: at.path, ...r, bytes, ms: since(started) };
}

function since(started: number): number {
  return Math.round(performance.now() - started);
}
