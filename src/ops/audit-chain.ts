// What an audit record's hash covers and how it is computed: SHA-256 over the canonical JSON of every field but
// the hash itself (prevHash included), so changing, dropping or moving a record breaks the chain after it.
import { createHash } from "node:crypto";
import type { UnsealedAuditRecord } from "../store/index.ts";

/**
 * JSON with object keys sorted by UTF-16 code units and no whitespace: the JSON Canonicalization Scheme
 * (RFC 8785) for the values a record holds (strings, finite numbers, booleans, null, arrays, plain objects).
 * Written out rather than `JSON.stringify` with a sorting replacer, because JavaScript objects list integer-like
 * keys ("10", "9") first whatever the insertion order — not the RFC's order — and a chain must be checkable by any
 * JCS library, not only by this code. Strings and numbers are serialised by JSON.stringify, which is what RFC 8785
 * specifies for them.
 * @example canonicalJson({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("canonicalJson: numbers must be finite");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new TypeError(`canonicalJson: cannot serialise a ${typeof value}`);
}

/** The hash of a record: its fields named one by one, so a field added to the type later is not hashed by accident. */
export function auditHash(r: UnsealedAuditRecord): string {
  const fields = {
    seq: r.seq,
    id: r.id,
    at: r.at,
    actor: { id: r.actor.id, name: r.actor.name, role: r.actor.role },
    action: r.action,
    env: r.env,
    function: r.function,
    target: r.target,
    outcome: r.outcome,
    ip: r.ip,
    userAgent: r.userAgent,
    before: r.before ?? null,
    after: r.after ?? null,
    details: r.details ?? null,
    prevHash: r.prevHash,
  };
  return createHash("sha256").update(canonicalJson(fields)).digest("hex");
}
