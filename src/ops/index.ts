// The ops domain: what operators use to answer "who changed what" — the hash-chained audit log (record, query,
// verify). SLOs, alerts, incidents and chaos join it later.
export { AUDIT_ACTIONS, type AuditAction } from "./audit-actions.ts";
export { auditHash, canonicalJson } from "./audit-chain.ts";
export { type AuditEntry, AuditLog, actorOf, SYSTEM_ACTOR } from "./audit-log.ts";
export { type AuditProblem, type AuditVerifyReport, verifyAudit } from "./audit-verify.ts";
