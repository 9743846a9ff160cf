// The store's backup functions in-process, for the cases the CLI tests do not reach cheaply: an empty file, a backup
// aimed at the store itself, and a copy that fails half-way leaving nothing behind.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import SQLite from "better-sqlite3";
import { backupStore, openStore, restoreStore } from "../../src/store/index.ts";

describe("store backups", () => {
  const dir = mkdtempSync(join(tmpdir(), "pave-store-backup-"));
  const path = join(dir, "pave.db");
  const env = {};

  before(async () => {
    const store = await openStore(`sqlite:${path}`);
    await store.close();
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses to write a backup over the store itself, even with force", async () => {
    await assert.rejects(backupStore(`sqlite:${path}`, path, { force: true, env }), { code: "BadRequest" });
  });

  it("leaves no partial file when the copy fails", async () => {
    const target = join(dir, "missing-dir", "b.db");
    await assert.rejects(backupStore(`sqlite:${path}`, target, { env }), { code: "BackupFailed" });
    assert.deepEqual(
      readdirSync(dir).filter((f) => !f.startsWith("pave.db")),
      [],
    );
  });

  it("refuses an empty file as no backup", async () => {
    const empty = join(dir, "empty.db");
    writeFileSync(empty, "");
    await assert.rejects(restoreStore(empty, `sqlite:${join(dir, "other.db")}`, { env }), {
      code: "BackupInvalid",
      message: /neither an SQLite database nor a pg_dump/,
    });
    rmSync(empty);
  });

  it("backs up and restores in-process, counting the same contents", async () => {
    const file = join(dir, "b.db");
    const backup = await backupStore(`sqlite:${path}`, file, { env });
    const restored = await restoreStore(file, `sqlite:${join(dir, "restored", "pave.db")}`, { env });
    assert.deepEqual(restored.contents, backup.contents);
    assert.equal(restored.previous, null);
    assert.match(backup.contents.schema ?? "", /^\d{3}-/);
  });

  it("refuses a backup made by a newer Pave, and one of an SQLite file that is no Pave store", async () => {
    const file = join(dir, "future.db");
    await backupStore(`sqlite:${path}`, file, { env });
    const db = new SQLite(file);
    db.prepare("insert into pave_migrations (name, timestamp) values ('999-future', '2099-01-01')").run();
    db.close();
    const target = `sqlite:${join(dir, "future", "pave.db")}`;
    await assert.rejects(restoreStore(file, target, { env }), {
      code: "BackupInvalid",
      message: /newer Pave .*999-future/,
    });
    const plain = join(dir, "plain.db");
    new SQLite(plain).exec("create table t (x)");
    await assert.rejects(restoreStore(plain, target, { env }), {
      code: "BackupInvalid",
      message: /holds no Pave store/,
    });
  });
});
