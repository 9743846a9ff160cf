// The SQLite adapter: the shared Store contract in memory, plus what only a file store shows (WAL, reopening).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import SQLite from "better-sqlite3";
import { openStore } from "../../src/store/index.ts";
import { storeContract } from "./contract.ts";

storeContract("sqlite in memory", () => openStore(":memory:"));

// A file store writes activations on its own thread: the contract must hold through it too.
const files = await mkdtemp(join(tmpdir(), "pave-contract-"));
let opened = 0;
storeContract("sqlite file", () => openStore(join(files, `${++opened}.db`)));
after(() => rm(files, { recursive: true, force: true }));

describe("sqlite file store", () => {
  it("keeps data across reopen, migrates once and runs in WAL mode", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pave-store-"));
    try {
      const path = join(dir, "pave.db");
      const first = await openStore(`sqlite:${path}`);
      await first.deploy(
        { env: "prod", function: "hello", id: "abc123", manifest: "{}", bundle: "x", bundleBytes: 1, createdBy: "t" },
        "live",
        1000,
      );
      await first.close();

      const second = await openStore(path);
      assert.equal(await second.getAlias("prod", "hello", "live"), "abc123");
      assert.deepEqual(await second.listEnvironments(), ["prod"]);
      await second.close();

      const raw = new SQLite(path, { readonly: true });
      try {
        assert.equal(raw.pragma("journal_mode", { simple: true }), "wal");
        const migrations = raw.prepare("select name from pave_migrations").all() as { name: string }[];
        assert.deepEqual(
          migrations.map((m) => m.name),
          ["001-initial"],
        );
        const envs = raw.prepare("select count(*) as n from environments").get() as { n: number };
        assert.equal(envs.n, 1, "reopening must not re-run the seeding migration");
      } finally {
        raw.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
