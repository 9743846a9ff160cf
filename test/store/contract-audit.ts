// The Store contract for the audit log: appends form one chain (seq 1, 2, 3 … each naming its predecessor's hash)
// even when they race, JSON before/after round-trips, and listing filters, orders and pages. Part of storeContract.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe } from "node:test";
import {
  AUDIT_GENESIS_HASH,
  type AuditRecord,
  type NewAuditRecord,
  type Store,
  type UnsealedAuditRecord,
} from "../../src/store/index.ts";

const T0 = 1_700_000_000_000;

type StoreTest = (title: string, body: (store: Store) => Promise<void>) => void;

/** Any deterministic hash will do here: what the hash covers is the audit domain's business, not the store's. */
const seal = (r: UnsealedAuditRecord) =>
  createHash("sha256")
    .update(JSON.stringify([r.seq, r.id, r.at, r.action, r.target, r.after, r.prevHash]))
    .digest("hex");

function entry(i: number, over: Partial<NewAuditRecord> = {}): NewAuditRecord {
  return {
    id: `0190a000-0000-7000-8000-${String(i).padStart(12, "0")}`,
    at: T0 + i * 1000,
    actor: { id: "tok_1", name: "alice", role: "admin" },
    action: "kv.put",
    env: "prod",
    function: null,
    target: `carts/k${i}`,
    outcome: "ok",
    ip: "127.0.0.1",
    userAgent: "pave/test",
    before: null,
    after: { bytes: i },
    details: null,
    ...over,
  };
}

function assertChained(records: AuditRecord[]): void {
  let prev = AUDIT_GENESIS_HASH;
  records.forEach((r, i) => {
    assert.equal(r.seq, i + 1, "seqs run 1, 2, 3 … with no gap");
    assert.equal(r.prevHash, prev, `record ${r.seq} names its predecessor's hash`);
    const { hash, ...unsealed } = r;
    assert.equal(hash, seal(unsealed), `record ${r.seq} carries the hash seal gave it`);
    prev = r.hash;
  });
}

export function auditContract(test: StoreTest): void {
  describe("audit", () => {
    test("a fresh chain is empty with the genesis head", async (store) => {
      assert.deepEqual(await store.auditHead(), { seq: 0, hash: AUDIT_GENESIS_HASH });
      assert.deepEqual(await store.listAudit({ limit: 10 }), []);
    });

    test("appends link each record to the one before and move the head", async (store) => {
      const appended = [];
      for (let i = 1; i <= 3; i++) appended.push(await store.appendAudit(entry(i), seal));
      const stored = await store.listAudit({ order: "asc", limit: 10 });
      assert.deepEqual(stored, appended);
      assertChained(stored);
      assert.deepEqual(await store.auditHead(), { seq: 3, hash: appended[2]?.hash });
    });

    test("before, after, details and a system actor round-trip", async (store) => {
      const system = { id: null, name: "system", role: null };
      const before = { version: null, nested: { list: [1, "ü ✓", true, null], n: 0.5 } };
      const details = { error: { code: "Forbidden", message: "quoted 'x' \"y\"" } };
      await store.appendAudit(entry(1, { actor: system, before, after: null, details, env: null, ip: null }), seal);
      const [r] = await store.listAudit({ limit: 1 });
      assert.ok(r);
      assert.deepEqual(r.actor, system);
      assert.deepEqual(r.before, before);
      assert.equal(r.after, null);
      assert.deepEqual(r.details, details);
      assert.equal(r.env, null);
      assert.equal(r.ip, null);
    });

    test("20 concurrent appends make one unbroken chain", async (store) => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.appendAudit(entry(i + 1), seal)));
      assertChained(await store.listAudit({ order: "asc", limit: 100 }));
      assert.equal((await store.auditHead()).seq, 20);
    });

    test("lists newest first by default and filters by env, actor, function, action, time and cursor", async (store) => {
      const bob = { id: "tok_2", name: "bob", role: "developer" as const };
      await store.appendAudit(entry(1, { action: "function.deploy", function: "checkout", target: "checkout" }), seal);
      await store.appendAudit(entry(2, { action: "secret.set", target: "API_KEY", actor: bob }), seal);
      await store.appendAudit(entry(3, { action: "secret.delete", target: "API_KEY", env: "staging" }), seal);
      await store.appendAudit(entry(4, { action: "secret_x.set" }), seal);
      await store.appendAudit(entry(5), seal);
      const seqs = async (q: Partial<Parameters<Store["listAudit"]>[0]>) =>
        (await store.listAudit({ limit: 100, ...q })).map((r) => r.seq);

      assert.deepEqual(await seqs({}), [5, 4, 3, 2, 1]);
      assert.deepEqual(await seqs({ order: "asc" }), [1, 2, 3, 4, 5]);
      assert.deepEqual(await seqs({ env: "staging" }), [3]);
      assert.deepEqual(await seqs({ actor: "bob" }), [2]);
      assert.deepEqual(await seqs({ actor: "tok_2" }), [2], "an actor by token id");
      assert.deepEqual(await seqs({ function: "checkout" }), [1]);
      assert.deepEqual(await seqs({ action: "secret.set" }), [2]);
      assert.deepEqual(await seqs({ action: "secret.*" }), [3, 2], "a kind, with no wildcard leaking into secret_x");
      assert.deepEqual(await seqs({ since: T0 + 2000, until: T0 + 4000 }), [3, 2]);
      assert.deepEqual(await seqs({ beforeSeq: 4, limit: 2 }), [3, 2]);
      assert.deepEqual(await seqs({ afterSeq: 3, order: "asc" }), [4, 5]);
      const second = (await store.listAudit({ order: "asc", limit: 2 }))[1] as AuditRecord;
      assert.deepEqual(await seqs({ prevHash: second.hash }), [3]);
    });
  });
}
