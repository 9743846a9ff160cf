// Backup and restore of the embedded store. A backup is `VACUUM INTO` a new file: one read transaction, so one
// consistent snapshot, and in WAL mode a reader never blocks the server's writers. A restore swaps a verified copy in
// while no server has the file open, and keeps the store it replaces beside it.
import { randomBytes } from "node:crypto";
import { access, copyFile, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { PaveError } from "../../errors.ts";
import { migrationProvider } from "../migrations/index.ts";
import type { Database } from "../schema.ts";
import { type BackupContents, countContents, migrationsRun } from "./contents.ts";
import { checkTarget, writeThenRename } from "./target-file.ts";

export interface SqliteBackupResult {
  bytes: number;
  contents: BackupContents;
}

export interface SqliteRestoreResult extends SqliteBackupResult {
  /** Where the store that was replaced now lives (null when there was none): moving it back undoes the restore. */
  previous: string | null;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Copies the store at `path` into `file` while a server may be serving from it.
 *
 * Why `VACUUM INTO` and not the online backup API (`db.backup()`): the backup API copies a few pages per step and
 * starts over whenever another connection writes — and the server's activation writer commits a batch every few
 * milliseconds under load, so a large store might never finish. `VACUUM INTO` reads everything in one read
 * transaction: in WAL mode that snapshot costs the writers nothing (they append to the WAL; only checkpoints wait for
 * it to end), and the copy is one self-contained, compacted file in rollback-journal mode, with no -wal beside it.
 * The price is CPU in this process (it rebuilds indexes), not in the server.
 */
export async function backupSqlite(path: string, file: string, force: boolean): Promise<SqliteBackupResult> {
  if (!(await exists(path))) throw new PaveError("StoreNotFound", `there is no SQLite store at ${path}`);
  // With --force the rename would land on the live store itself.
  if (file === path) throw new PaveError("BadRequest", `${file} is the store itself; write the backup elsewhere`);
  await checkTarget(file, force);
  const source = new SQLite(path, { fileMustExist: true });
  try {
    // A checkpoint or a writer holding the lock for a moment is waited for, as the server's connections wait.
    source.pragma("busy_timeout = 5000");
    if ((await withKysely(source, migrationsRun)).length === 0) {
      throw new PaveError("StoreNotFound", `${path} is an SQLite database but holds no Pave store`);
    }
    return await writeThenRename(file, async (tmp) => {
      try {
        source.prepare("VACUUM INTO ?").run(tmp);
      } catch (err) {
        throw new PaveError("BackupFailed", `copying ${path} failed: ${(err as Error).message}`, { cause: err });
      }
      // VACUUM INTO does not fsync its output: do it before the rename publishes the file as a backup.
      await fsync(tmp);
      const copy = new SQLite(tmp, { readonly: true, fileMustExist: true });
      try {
        return { bytes: (await stat(tmp)).size, contents: await withKysely(copy, countContents) };
      } finally {
        copy.close();
      }
    });
  } finally {
    source.close();
  }
}

/**
 * Replaces the store at `path` with the backup in `file`, after checking that the backup is sound and that no
 * server has the store open. `file` itself is never modified: a copy is checked and moved into place.
 */
export async function restoreSqlite(file: string, path: string): Promise<SqliteRestoreResult> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const staged = `${path}.restore-${randomBytes(4).toString("hex")}.tmp`;
  try {
    await copyFile(file, staged);
    const contents = await verifyStaged(file, staged);
    await fsync(staged);
    const previous = await moveAside(path);
    await rename(staged, path);
    return { bytes: (await stat(path)).size, contents, previous };
  } finally {
    await rm(staged, { force: true });
  }
}

/** A sound Pave store or BackupInvalid: SQLite's integrity check passes and every migration it ran is one we know. */
async function verifyStaged(file: string, staged: string): Promise<BackupContents> {
  const invalid = (why: string, cause?: unknown) =>
    new PaveError("BackupInvalid", `${file} cannot be restored: ${why}`, cause === undefined ? undefined : { cause });
  let db: SQLite.Database;
  try {
    db = new SQLite(staged, { fileMustExist: true });
  } catch (err) {
    throw invalid(`SQLite cannot open it (${(err as Error).message})`, err);
  }
  try {
    let problems: string[];
    try {
      problems = (db.pragma("integrity_check") as { integrity_check: string }[]).map((r) => r.integrity_check);
    } catch (err) {
      throw invalid(`it is damaged or truncated (${(err as Error).message})`, err);
    }
    if (problems.join() !== "ok") {
      throw invalid(`it is damaged or truncated (integrity_check: ${problems.slice(0, 3).join("; ")})`);
    }
    const ran = await withKysely(db, migrationsRun);
    if (ran.length === 0) throw invalid("it is an SQLite database but holds no Pave store");
    const known = new Set(Object.keys(await migrationProvider.getMigrations()));
    const unknown = ran.filter((m) => !known.has(m));
    if (unknown.length > 0) {
      throw invalid(`a newer Pave made it (its schema has ${unknown.join(", ")}); upgrade Pave, then restore`);
    }
    // The server runs in WAL mode; set it now so the first start finds the file as it left it.
    db.pragma("journal_mode = WAL");
    return await withKysely(db, countContents);
  } finally {
    // The last connection to close checkpoints and deletes the -wal: the staged file stands alone again.
    db.close();
  }
}

/**
 * Moves the store at `path` (and any -wal/-shm with it) to `<path>.before-restore-<time>`; StoreInUse when a server
 * has it open. A server holds a shared lock on the file for as long as it is open (WAL mode), so asking for an
 * exclusive lock without waiting tells whether one does.
 */
async function moveAside(path: string): Promise<string | null> {
  if (!(await exists(path))) return null;
  let db: SQLite.Database | undefined;
  try {
    db = new SQLite(path, { fileMustExist: true });
    db.pragma("busy_timeout = 0");
    // Exclusive before the first read: the connection then takes the file's exclusive lock and keeps it.
    db.pragma("locking_mode = EXCLUSIVE");
    db.prepare("select count(*) from sqlite_master").get();
  } catch (err) {
    db?.close();
    db = undefined;
    if ((err as { code?: string }).code === "SQLITE_BUSY") {
      throw new PaveError(
        "StoreInUse",
        `a server (or another program) has ${path} open; stop it, then restore (nothing was changed)`,
        { cause: err },
      );
    }
    // Not a readable database: nothing can be using it as one. It is kept aside all the same.
  }
  // Closing the only connection checkpoints the WAL into the file and removes it.
  db?.close();
  const aside = `${path}.before-restore-${new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "")}`;
  for (const suffix of ["-wal", "-shm"]) {
    if (await exists(path + suffix)) await rename(path + suffix, aside + suffix);
  }
  await rename(path, aside);
  return aside;
}

async function withKysely<T>(sqlite: SQLite.Database, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  // Kysely's destroy() would close the better-sqlite3 handle, which the caller owns: it is not called.
  return fn(new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) }));
}

async function fsync(file: string): Promise<void> {
  const fh = await open(file, "r+");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
