// `pave backup` and `pave restore` on SQLite, through the real CLI: a backup taken while the server serves load is
// one consistent, self-contained file that holds no secret in clear, and a restore into a fresh data directory
// brings every record back — and refuses, losing nothing, a bad file, a running server or an overwrite.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import SQLite from "better-sqlite3";
import { PaveClient } from "../../src/client/index.ts";
import { checkRestored, type Populated, populate, snapshot, underLoad } from "./backup-fixture.ts";
import { type CliRun, removeFunctionDirs, runPave, startTestServer, type TestServer } from "./helpers.ts";

interface Summary {
  kind: string;
  bytes: number;
  ms: number;
  previous?: string | null;
  contents: { functions: number; versions: number; activations: number; auditRecords: number; secrets: number };
}

const json = (r: CliRun) => JSON.parse(r.out) as Summary;
const errorOf = (r: CliRun) => (JSON.parse(r.out) as { error: { code: string; message: string } }).error;

describe("pave backup / restore on SQLite", () => {
  const dir = mkdtempSync(join(tmpdir(), "pave-backup-"));
  const file = join(dir, "pave-backup.db");
  let t: TestServer;
  let populated: Populated;
  let before_: Awaited<ReturnType<typeof snapshot>>;
  let backup: Summary;

  before(async () => {
    t = await startTestServer();
    populated = await populate(t);
    before_ = await snapshot(t.client);
  });

  after(async () => {
    await t?.close();
    await removeFunctionDirs();
    rmSync(dir, { recursive: true, force: true });
  });

  it("backs up a running server under load into one consistent file", async (ctx) => {
    const load = await underLoad(t.server.url, () =>
      runPave(t, ["backup", file, "--data", t.server.dataDir, "--json"]),
    );
    const run = load.result;
    assert.equal(run.code, 0, run.out + run.err);
    backup = json(run);
    assert.equal(backup.kind, "sqlite");
    assert.equal(load.failures, 0, "every invocation during the backup succeeded");
    assert.ok(load.calls > 0);
    assert.deepEqual(
      { functions: backup.contents.functions, versions: backup.contents.versions, secrets: backup.contents.secrets },
      { functions: 2, versions: 5, secrets: 1 },
    );
    assert.ok(backup.contents.activations >= populated.invocations);
    ctx.diagnostic(
      `backup: ${backup.bytes} bytes, ${backup.contents.activations} activations, ${backup.ms} ms; ` +
        `${load.calls} invocations meanwhile, slowest ${load.slowestMs.toFixed(1)} ms`,
    );
    // One file, nothing beside it, and no temporary file left behind.
    assert.deepEqual(readdirSync(dir), ["pave-backup.db"]);
    const db = new SQLite(file, { readonly: true, fileMustExist: true });
    try {
      assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
      // An activation's log lines are in its row: the copy has every counter activation with the line it logged.
      const silent = db
        .prepare(
          // Chunk bodies are JSON arrays of rows after their format number; a row's lines are its eleventh entry.
          "select count(*) as n from activation_chunks c, json_each(c.body) a where c.function = 'counter' and " +
            "a.type = 'array' and coalesce(json_type(a.value, '$[10]'), 'null') <> 'array'",
        )
        .get() as { n: number };
      assert.equal(silent.n, 0);
      assert.equal(
        (db.prepare("select sum(count) as n from activation_chunks").get() as { n: number }).n,
        backup.contents.activations,
      );
    } finally {
      db.close();
    }
    // The secret is stored sealed: its plaintext is nowhere in the file.
    assert.equal(readFileSync(file).indexOf(populated.secret), -1);
  });

  it("refuses to overwrite a backup without --force, and replaces it with --force", async () => {
    const original = readFileSync(file);
    const refused = await runPave(t, ["backup", file, "--data", t.server.dataDir, "--json"]);
    assert.equal(refused.code, 1);
    assert.equal(errorOf(refused).code, "BackupExists");
    assert.ok(readFileSync(file).equals(original), "the existing backup is untouched");
    const other = join(dir, "forced.db");
    writeFileSync(other, "an old file");
    const forced = await runPave(t, ["backup", other, "--data", t.server.dataDir, "--force"]);
    assert.equal(forced.code, 0, forced.err);
    assert.match(forced.out, /^backed up .*forced\.db: .*\n\s+holds:\s+2 functions, 5 versions/);
    assert.equal(readFileSync(other).subarray(0, 15).toString(), "SQLite format 3");
    rmSync(other);
  });

  it("refuses to restore into the data directory of a running server, and changes nothing", async () => {
    const run = await runPave(t, ["restore", file, "--data", t.server.dataDir, "--json"]);
    assert.equal(run.code, 1);
    assert.equal(errorOf(run).code, "StoreInUse");
    assert.ok(!readdirSync(t.server.dataDir).some((f) => f.includes("before-restore") || f.includes("restore-")));
    assert.deepEqual(await snapshot(t.client), before_);
  });

  it("restores into a fresh data directory: everything comes back, the secret opens, the audit chain verifies", async () => {
    const token = t.server.adminToken;
    const masterKey = join(t.server.dataDir, "master-key");
    const fresh = mkdtempSync(join(tmpdir(), "pave-restored-"));
    // The master key is not in the backup: the new node gets the same key the way an operator would copy it.
    copyFileSync(masterKey, join(fresh, "master-key"));
    await t.close();
    const run = await runPave(t, ["restore", file, "--data", fresh, "--json"]);
    assert.equal(run.code, 0, run.out + run.err);
    const restored = json(run);
    assert.deepEqual(restored.contents, backup.contents);
    assert.equal(restored.previous, null);
    const t2 = await startTestServer({ dataDir: fresh });
    try {
      // The tokens came back with the store: the original admin token still works.
      const client = new PaveClient({ url: t2.server.url, token });
      await checkRestored({ ...t2, client, server: { ...t2.server, adminToken: token } }, before_, populated);
    } finally {
      await t2.close();
    }
  });

  it("restoring over an existing store keeps the old one beside it", async () => {
    const target = mkdtempSync(join(tmpdir(), "pave-over-"));
    try {
      assert.equal((await runPave(t, ["restore", file, "--data", target])).code, 0);
      const second = await runPave(t, ["restore", file, "--data", target, "--json"]);
      assert.equal(second.code, 0, second.err);
      const previous = json(second).previous;
      assert.ok(previous && existsSync(previous) && previous.includes("pave.db.before-restore-"));
      assert.equal(new SQLite(previous, { readonly: true }).pragma("integrity_check", { simple: true }), "ok");
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });

  it("refuses a file that is not a backup, a truncated one, and a PostgreSQL dump, and changes nothing", async () => {
    const target = mkdtempSync(join(tmpdir(), "pave-bad-"));
    try {
      assert.equal((await runPave(t, ["restore", file, "--data", target])).code, 0);
      const store = readFileSync(join(target, "pave.db"));
      const notBackup = join(dir, "notes.txt");
      writeFileSync(notBackup, "just some text, long enough to be read as a header\n");
      const truncated = join(dir, "truncated.db");
      writeFileSync(truncated, readFileSync(file).subarray(0, 8192));
      const pgDump = join(dir, "dump.pgdump");
      writeFileSync(pgDump, Buffer.concat([Buffer.from("PGDMP"), Buffer.alloc(64)]));
      const cases: [string, string, RegExp][] = [
        [notBackup, "BackupInvalid", /neither an SQLite database nor a pg_dump/],
        [truncated, "BackupInvalid", /damaged or truncated/],
        [join(dir, "missing.db"), "BackupInvalid", /no such file/],
        [pgDump, "BackupMismatch", /PostgreSQL dump .* SQLite store/],
      ];
      for (const [bad, code, message] of cases) {
        const run = await runPave(t, ["restore", bad, "--data", target, "--json"]);
        assert.equal(run.code, 1, `${bad}: ${run.out}`);
        assert.equal(errorOf(run).code, code, bad);
        assert.match(errorOf(run).message, message);
      }
      // Without --json: the one error line and the hint.
      const human = await runPave(t, ["restore", pgDump, "--data", target]);
      assert.match(human.err, /^error: BackupMismatch: .*\n {2}hint: restore an SQLite backup with --data/);
      assert.ok(readFileSync(join(target, "pave.db")).equals(store), "the store is untouched");
      assert.deepEqual(readdirSync(target), ["pave.db"]);
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });

  it("says so when there is no store to back up", async () => {
    const empty = mkdtempSync(join(tmpdir(), "pave-empty-"));
    try {
      const run = await runPave(t, ["backup", join(empty, "x.db"), "--data", empty, "--json"]);
      assert.equal(errorOf(run).code, "StoreNotFound");
      assert.deepEqual(readdirSync(empty), []);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
