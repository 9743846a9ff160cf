// The canonical JSON under the audit hash: RFC 8785 key order (UTF-16 code units, integer-like keys included),
// no whitespace, and a hash that changes with any field, prevHash included.
import assert from "node:assert/strict";
import { test } from "node:test";
import { auditHash, canonicalJson } from "../../src/ops/index.ts";
import { AUDIT_GENESIS_HASH, type UnsealedAuditRecord } from "../../src/store/index.ts";

test("canonicalJson sorts keys by code unit, integer-like ones too, at every depth", () => {
  assert.equal(canonicalJson({ b: 1, a: [true, null, { d: "x", c: 2 }] }), '{"a":[true,null,{"c":2,"d":"x"}],"b":1}');
  // JavaScript lists "10" before "9" and both before "a"; RFC 8785 sorts them as strings.
  assert.equal(canonicalJson({ a: 0, 9: 1, 10: 2 }), '{"10":2,"9":1,"a":0}');
  assert.equal(canonicalJson({ é: 1, z: 2, "\u{1f600}": 3 }), '{"z":2,"é":1,"\u{1f600}":3}');
  assert.equal(canonicalJson({ skip: undefined, n: 1e21, s: 'quote " and \n' }), '{"n":1e+21,"s":"quote \\" and \\n"}');
  assert.throws(() => canonicalJson({ n: Number.NaN }), TypeError);
});

test("the hash covers every field, prevHash included, whatever the key order", () => {
  const r: UnsealedAuditRecord = {
    seq: 1,
    id: "0190a000-0000-7000-8000-000000000001",
    at: 1_700_000_000_000,
    actor: { id: null, name: "system", role: null },
    action: "token.create",
    env: null,
    function: null,
    target: "admin",
    outcome: "ok",
    ip: null,
    userAgent: null,
    before: null,
    after: { role: "admin" },
    details: null,
    prevHash: AUDIT_GENESIS_HASH,
  };
  const h = auditHash(r);
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(auditHash({ ...r }), h);
  assert.notEqual(auditHash({ ...r, prevHash: "1".repeat(64) }), h);
  assert.notEqual(auditHash({ ...r, seq: 2 }), h);
  assert.notEqual(auditHash({ ...r, after: { role: "viewer" } }), h);
  assert.notEqual(auditHash({ ...r, actor: { ...r.actor, name: "root" } }), h);
});
