// The real `pave audit` against a real server: the listing and its filters, `verify` (exit 0, then exit 1 naming the
// record once the SQLite file is tampered with) and `export -o FILE` as JSON Lines.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import SQLite from "better-sqlite3";
import { type CliRun, runPave, startTestServer, type TestServer } from "./helpers.ts";

let t: TestServer;
before(async () => {
  t = await startTestServer();
  await t.client.setSecret("API_KEY", "cli-audit-secret-value");
  await t.client.putKvValue("carts", "u1", "v");
  await t.client.createTopic("orders");
});
after(() => t.close());

function pave(args: string[]): Promise<CliRun> {
  return runPave(t, args);
}

describe("pave audit", () => {
  it("lists records newest first with actor, action and target, and filters them", async () => {
    const all = await pave(["audit"]);
    assert.equal(all.code, 0, all.err);
    const lines = all.out.trimEnd().split("\n");
    assert.match(lines[0] ?? "", /^SEQ\s+TIME\s+ACTOR\s+ACTION\s+TARGET\s+OUTCOME\s+FROM/);
    assert.match(lines[1] ?? "", /^4\s.*admin \(admin\)\s+topic\.create\s+prod orders\s+ok\s+127\.0\.0\.1/);
    assert.match(lines.at(-1) ?? "", /^1\s.*system\s+token\.create\s+admin\s+ok/);
    assert.ok(!all.out.includes("cli-audit-secret-value"));

    const json = await pave(["audit", "--action", "secret.*", "--since", "1h", "--json"]);
    assert.equal(json.code, 0, json.err);
    const parsed = JSON.parse(json.out) as { records: { action: string; target: string }[]; next: null };
    assert.deepEqual(
      parsed.records.map((r) => [r.action, r.target]),
      [["secret.set", "API_KEY"]],
    );

    const bad = await pave(["audit", "--action", "secret.sett"]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^error: BadRequest: query\.action/);
  });

  it("exports JSON Lines to a file, oldest first", async () => {
    const file = join(t.server.dataDir, "audit.jsonl");
    const res = await pave(["audit", "export", "--action", "kv.*", "-o", file]);
    assert.equal(res.code, 0, res.err);
    const records = readFileSync(file, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { seq: number; action: string });
    assert.deepEqual(
      records.map((r) => [r.seq, r.action]),
      [[3, "kv.put"]],
    );
  });

  it("verify exits 0 with the head hash, and 1 naming the record once the database is tampered with", async () => {
    const ok = await pave(["audit", "verify"]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^ok: 4 records, chain head seq 4 hash [0-9a-f]{64}\n/);

    const db = new SQLite(join(t.server.dataDir, "pave.db"));
    db.prepare("update audit set ip = '10.0.0.9' where seq = 2").run();
    db.close();
    const broken = await pave(["audit", "verify"]);
    assert.equal(broken.code, 1);
    assert.match(broken.err, /^error: the audit chain is broken at seq 2 \(changed\)/);
    const json = await pave(["audit", "verify", "--json"]);
    assert.equal(json.code, 1);
    assert.equal((JSON.parse(json.out) as { problem: { kind: string } }).problem.kind, "changed");
  });
});
