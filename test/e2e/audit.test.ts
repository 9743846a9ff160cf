// The audit log through a real server: every mutating API request leaves a record with actor, address, user agent
// and before/after (never a secret or kv value); filters and pages; the chain verifies, and verify names what was
// changed, deleted or reordered when the SQLite file is tampered with directly.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import SQLite from "better-sqlite3";
import { createToken } from "../../src/auth/index.ts";
import type { ApiError, AuditRecord, PaveClient } from "../../src/client/index.ts";
import { deploySource, removeFunctionDirs, startTestServer, type TestServer } from "./helpers.ts";

const HELLO = (text: string) => `export default { fetch() { return new Response(${JSON.stringify(text)}); } };`;

async function exportText(client: PaveClient, q = {}): Promise<string> {
  return new Response(await client.exportAudit(q)).text();
}

function only(records: AuditRecord[], action: string): AuditRecord {
  const found = records.filter((r) => r.action === action);
  assert.equal(found.length, 1, `one ${action} record, found ${found.length}`);
  return found[0] as AuditRecord;
}

describe("audit log", () => {
  let t: TestServer;
  const secret = `audit-secret-${randomUUID()}`;
  const kvValue = `kv-value-${randomUUID()}`;
  let v1 = "";
  let v2 = "";

  before(async () => {
    t = await startTestServer();
    v1 = (await deploySource(t.client, "hello", HELLO("one"))).version.id;
    v2 = (await deploySource(t.client, "hello", HELLO("two"))).version.id;
    await t.client.setSecret("API_KEY", secret);
    await t.client.putKvValue("carts", "u/1", kvValue, { ttl: 3600 });
    await t.client.deleteKvValue("carts", "u/1");
    await t.client.createTopic("orders");
    await t.client.deleteFunction("hello");
  });
  after(async () => {
    await t.close();
    await removeFunctionDirs();
  });

  it("records the first admin token as created by system, then each change with actor, ip and user agent", async () => {
    const { records } = await t.client.listAudit({ limit: 100 });
    const oldest = records.at(-1) as AuditRecord;
    assert.equal(oldest.seq, 1);
    assert.equal(oldest.action, "token.create");
    assert.deepEqual(oldest.actor, { id: null, name: "system", role: null });
    assert.equal(oldest.target, "admin");
    assert.equal((oldest.after as { role: string }).role, "admin");

    const changes = records.filter((r) => r.seq > 1);
    assert.deepEqual(changes.map((r) => r.action).reverse(), [
      "function.deploy",
      "function.deploy",
      "secret.set",
      "kv.put",
      "kv.delete",
      "topic.create",
      "function.delete",
    ]);
    for (const r of changes) {
      assert.equal(r.actor.name, "admin");
      assert.equal(r.actor.role, "admin");
      assert.match(r.actor.id ?? "", /^[0-9a-f-]{36}$/);
      assert.equal(r.ip, "127.0.0.1");
      assert.match(r.userAgent ?? "", /^pave\//);
      assert.equal(r.outcome, "ok");
      assert.equal(r.env, "prod");
    }
    assert.deepEqual(
      records.map((r) => r.seq),
      records.map((_, i) => records.length - i),
      "newest first, no gaps",
    );
  });

  it("a deploy records the previous live version and the new one; removal records what was live", async () => {
    const { records } = await t.client.listAudit({ action: "function.deploy" });
    const [second, first] = records as [AuditRecord, AuditRecord];
    assert.deepEqual(first.before, { version: null });
    assert.equal((first.after as { version: string }).version, v1);
    assert.deepEqual(second.before, { version: v1 });
    assert.equal((second.after as { version: string }).version, v2);
    assert.equal(second.function, "hello");
    const removed = only((await t.client.listAudit()).records, "function.delete");
    assert.deepEqual(removed.before, { version: v2 });
    assert.equal(removed.after, null);
  });

  it("secrets and kv values never reach the audit table or the export: names and sizes only", async () => {
    const { records } = await t.client.listAudit();
    const set = only(records, "secret.set");
    assert.equal(set.target, "API_KEY");
    assert.equal(set.before, null);
    assert.equal(typeof (set.after as { keyId: string }).keyId, "string");
    const put = only(records, "kv.put");
    assert.equal(put.target, "carts/u/1");
    assert.deepEqual(put.details, { namespace: "carts", key: "u/1" });
    assert.equal((put.after as { bytes: number }).bytes, Buffer.byteLength(kvValue));
    assert.equal((only(records, "kv.delete").before as { bytes: number }).bytes, Buffer.byteLength(kvValue));

    const exported = await exportText(t.client);
    const db = new SQLite(join(t.server.dataDir, "pave.db"), { readonly: true });
    const table = JSON.stringify(db.prepare("select * from audit").all());
    db.close();
    for (const text of [exported, table, JSON.stringify(records)]) {
      assert.ok(!text.includes(secret), "the secret value appears");
      assert.ok(!text.includes(kvValue), "the kv value appears");
    }
  });

  it("exports every record oldest first as JSON Lines", async () => {
    const lines = (await exportText(t.client)).trimEnd().split("\n");
    const records = lines.map((l) => JSON.parse(l) as AuditRecord);
    assert.deepEqual(
      records.map((r) => r.seq),
      records.map((_, i) => i + 1),
    );
    const kvOnly = (await exportText(t.client, { action: "kv.*" })).trimEnd().split("\n");
    assert.deepEqual(
      kvOnly.map((l) => (JSON.parse(l) as AuditRecord).action),
      ["kv.put", "kv.delete"],
    );
  });

  it("filters by function, actor, action (exact or kind), env and time, and pages with a cursor", async () => {
    const actions = async (q: Parameters<PaveClient["listAudit"]>[0]) =>
      (await t.client.listAudit(q)).records.map((r) => r.action);
    assert.deepEqual(await actions({ function: "hello" }), ["function.delete", "function.deploy", "function.deploy"]);
    assert.deepEqual(await actions({ actor: "system" }), ["token.create"]);
    assert.deepEqual(await actions({ action: "kv.*" }), ["kv.delete", "kv.put"]);
    assert.deepEqual(await actions({ action: "topic.create", env: "prod" }), ["topic.create"]);
    assert.deepEqual(await actions({ env: "staging" }), []);
    assert.deepEqual(await actions({ since: String(Date.now() + 60_000) }), []);
    assert.equal((await actions({ since: "1h", until: String(Date.now() + 1000) })).length, 8);
    const admin = only((await t.client.listAudit()).records, "topic.create").actor.id as string;
    assert.equal((await actions({ actor: admin })).length, 7, "an actor by token id");

    const first = await t.client.listAudit({ limit: 3 });
    assert.deepEqual(
      first.records.map((r) => r.seq),
      [8, 7, 6],
    );
    assert.equal(first.next, 6);
    const rest = await t.client.listAudit({ limit: 10, before: first.next as number });
    assert.deepEqual(
      rest.records.map((r) => r.seq),
      [5, 4, 3, 2, 1],
    );
    assert.equal(rest.next, null);

    for (const bad of [{ whatever: "x" }, { action: "secret.sett" }, { action: "nope.*" }]) {
      await assert.rejects(t.client.listAudit(bad as never), (e: ApiError) => e.code === "BadRequest");
    }
  });

  it("records denials and failures of mutating requests; reading the log takes the operator role", async () => {
    const dev = (await createToken(t.server.store, { name: "dev-1", role: "developer", now: Date.now() })).token;
    const res = await fetch(`${t.server.url}/api/v1/secrets/STOLEN?env=prod`, {
      method: "PUT",
      headers: { authorization: `Bearer ${dev}`, "content-type": "application/json", "user-agent": "curl/8" },
      body: JSON.stringify({ value: "not-recorded-ever" }),
    });
    assert.equal(res.status, 403);
    await assert.rejects(t.client.deleteFunction("ghost"), (e: ApiError) => e.code === "FunctionNotFound");
    const { records } = await t.client.listAudit({ limit: 2 });
    const [failed, denied] = records as [AuditRecord, AuditRecord];
    assert.equal(denied.action, "secret.set");
    assert.equal(denied.outcome, "denied");
    assert.equal(denied.actor.name, "dev-1");
    assert.equal(denied.target, "STOLEN");
    assert.equal(denied.userAgent, "curl/8");
    assert.equal((denied.details as { error: { code: string } }).error.code, "Forbidden");
    assert.ok(!JSON.stringify(denied).includes("not-recorded-ever"));
    assert.equal(failed.action, "function.delete");
    assert.equal(failed.outcome, "failed");
    assert.equal(failed.target, "ghost");
    assert.equal((failed.details as { error: { code: string } }).error.code, "FunctionNotFound");

    const read = await fetch(`${t.server.url}/api/v1/audit`, { headers: { authorization: `Bearer ${dev}` } });
    assert.equal(read.status, 403);
    assert.equal((await t.client.listAudit({ limit: 1 })).records[0]?.seq, failed.seq, "reads are not recorded");
  });

  it("keeps one unbroken chain under 20 concurrent changes, and verify reports the head", async () => {
    const before = (await t.client.listAudit({ limit: 1 })).records[0] as AuditRecord;
    await Promise.all(Array.from({ length: 20 }, (_, i) => t.client.putKvValue("burst", `k${i}`, "v")));
    const report = await t.client.verifyAudit();
    assert.equal(report.ok, true, JSON.stringify(report.problem));
    assert.equal(report.checked, before.seq + 20);
    assert.equal(report.head.seq, before.seq + 20);
    const newest = (await t.client.listAudit({ limit: 1 })).records[0] as AuditRecord;
    assert.equal(report.head.hash, newest.hash);
  });
});

/**
 * Six kv puts after the bootstrap record (seqs 2–7), the server stopped, `tamper` run on its SQLite file, then a
 * fresh server on the same data directory asked to verify.
 */
async function verifyAfter(tamper: (db: SQLite.Database) => void) {
  const first = await startTestServer();
  const { dataDir } = first.server;
  for (let i = 0; i < 6; i++) await first.client.putKvValue("ns", `k${i}`, "v");
  await first.server.close();
  const db = new SQLite(join(dataDir, "pave.db"));
  try {
    tamper(db);
  } finally {
    db.close();
  }
  const second = await startTestServer({ dataDir });
  try {
    return await second.client.verifyAudit();
  } finally {
    await second.close();
  }
}

describe("audit verify on a tampered database", () => {
  it("a changed field: `changed` at that seq", async () => {
    const report = await verifyAfter((db) => db.prepare("update audit set target = 'ns/other' where seq = 4").run());
    assert.equal(report.ok, false);
    assert.equal(report.checked, 3);
    assert.deepEqual(
      { kind: report.problem?.kind, seq: report.problem?.seq, seqs: report.problem?.seqs },
      { kind: "changed", seq: 4, seqs: [4] },
    );
  });

  it("a deleted middle record: `deleted` with its seq", async () => {
    const report = await verifyAfter((db) => db.prepare("delete from audit where seq = 4").run());
    assert.deepEqual(
      { kind: report.problem?.kind, seq: report.problem?.seq, seqs: report.problem?.seqs },
      { kind: "deleted", seq: 4, seqs: [4] },
    );
  });

  it("two records swapped: `reordered` naming both", async () => {
    const report = await verifyAfter((db) => {
      db.prepare("update audit set seq = -1 where seq = 4").run();
      db.prepare("update audit set seq = 4 where seq = 5").run();
      db.prepare("update audit set seq = 5 where seq = -1").run();
    });
    assert.deepEqual(
      { kind: report.problem?.kind, seq: report.problem?.seq, seqs: report.problem?.seqs },
      { kind: "reordered", seq: 4, seqs: [4, 5] },
    );
  });

  it("the newest record cut off: `deleted` against the chain head", async () => {
    const report = await verifyAfter((db) => db.prepare("delete from audit where seq = 7").run());
    assert.deepEqual(
      { kind: report.problem?.kind, seq: report.problem?.seq, seqs: report.problem?.seqs },
      { kind: "deleted", seq: 7, seqs: [7] },
    );
    assert.equal(report.checked, 6);
  });
});

describe("audit log of tokens", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it("records token create and revoke with the token's name, role and scopes — never its secret", async () => {
    const made = await t.client.createToken({ role: "developer", envs: ["staging"], name: "ci" });
    await t.client.revokeToken(made.id);
    const { records } = await t.client.listAudit({ limit: 100 });
    const created = records.find((r) => r.action === "token.create" && r.seq > 1) as AuditRecord;
    assert.deepEqual(
      { name: (created.after as { name: string }).name, envs: (created.after as { envs: string[] }).envs },
      { name: "ci", envs: ["staging"] },
    );
    const revoked = only(records, "token.revoke");
    assert.equal(revoked.target, made.id);
    assert.equal(revoked.outcome, "ok");
    assert.ok(!(await exportText(t.client)).includes(made.token), "the token's secret is not in the audit log");
  });
});
