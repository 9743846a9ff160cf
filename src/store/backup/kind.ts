// Which kind of backup a file is, from its first bytes: an SQLite database or a pg_dump custom-format archive.
// `pave restore` reads this before touching anything, so a wrong or foreign file is refused up front.
import { open } from "node:fs/promises";
import { PaveError } from "../../errors.ts";

export type BackupKind = "sqlite" | "postgres";

/** Every SQLite 3 database starts with these 16 bytes (https://sqlite.org/fileformat.html#the_database_header). */
const SQLITE_MAGIC = Buffer.from("SQLite format 3\0", "latin1");
/** pg_dump's custom format starts with "PGDMP" (pg_backup_archiver.c, WriteHead). */
const PGDUMP_MAGIC = Buffer.from("PGDMP", "latin1");

/** The kind of backup in `file`; BackupInvalid when it is neither, or cannot be read. */
export async function backupKind(file: string): Promise<BackupKind> {
  let head: Buffer;
  try {
    const fh = await open(file, "r");
    try {
      head = Buffer.alloc(SQLITE_MAGIC.length);
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "there is no such file" : `it cannot be read (${code ?? String(err)})`;
    throw new PaveError("BackupInvalid", `${file} is not a backup: ${why}`, { cause: err });
  }
  if (head.equals(SQLITE_MAGIC)) return "sqlite";
  if (head.subarray(0, PGDUMP_MAGIC.length).equals(PGDUMP_MAGIC)) return "postgres";
  throw new PaveError(
    "BackupInvalid",
    `${file} is not a Pave backup: it is neither an SQLite database nor a pg_dump custom-format archive`,
  );
}
