// Where a backup is written: beside its final name under a temporary one, renamed over it only once complete, so a
// failed or interrupted backup never leaves a partial file where a good one is expected.
import { randomBytes } from "node:crypto";
import { access, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { PaveError } from "../../errors.ts";

/** Refuses an existing `file` unless `force`: an old backup is never replaced by accident. */
export async function checkTarget(file: string, force: boolean): Promise<void> {
  if (force) return;
  const exists = await access(file).then(
    () => true,
    () => false,
  );
  if (exists) throw new PaveError("BackupExists", `${file} already exists; pass --force to replace it`);
}

/**
 * Runs `write` on a temporary name in the target's directory (same file system, so the rename is atomic) and
 * renames the result to `file`; on any failure the temporary file goes and `file` is as it was.
 */
export async function writeThenRename<T>(file: string, write: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const result = await write(tmp);
    await rename(tmp, file).catch((err: Error) => {
      throw new PaveError("BackupFailed", `writing ${file} failed: ${err.message}`, { cause: err });
    });
    return result;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
