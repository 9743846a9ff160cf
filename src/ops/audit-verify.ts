// Checks the audit chain end to end: every record's hash matches its content, its seq follows the one before and
// its prevHash names that record's hash. Reports the first break as `changed`, `deleted` or `reordered`.
import { AUDIT_GENESIS_HASH, type AuditHead, type AuditRecord, type Store } from "../store/index.ts";
import { auditHash } from "./audit-chain.ts";

export interface AuditProblem {
  kind: "changed" | "deleted" | "reordered";
  /** Where the chain breaks: the first seq that does not check out. */
  seq: number;
  message: string;
  /** The records affected (at most MAX_LISTED of them). */
  seqs: number[];
}

export interface AuditVerifyReport {
  ok: boolean;
  /** Records that checked out before the first problem (all of them when ok). */
  checked: number;
  /** Anchor it elsewhere: a later verify against a kept head also catches a truncated tail. */
  head: AuditHead;
  problem: AuditProblem | null;
}

const PAGE = 500;
const MAX_LISTED = 100;

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, Math.min(to - from + 1, MAX_LISTED)) }, (_, i) => from + i);
}

/** Walks the whole chain oldest first, a page at a time. */
export async function verifyAudit(store: Store): Promise<AuditVerifyReport> {
  const head = await store.auditHead();
  let prev = { seq: 0, hash: AUDIT_GENESIS_HASH };
  let checked = 0;
  for (;;) {
    const page = await store.listAudit({ order: "asc", afterSeq: prev.seq, limit: PAGE });
    for (const record of page) {
      const problem = await check(store, prev, record);
      if (problem) return { ok: false, checked, head, problem };
      prev = record;
      checked++;
    }
    if (page.length < PAGE) break;
  }
  const problem = checkHead(prev, head);
  return { ok: problem === null, checked, head, problem };
}

async function check(
  store: Store,
  prev: { seq: number; hash: string },
  r: AuditRecord,
): Promise<AuditProblem | undefined> {
  const expected = prev.seq + 1;
  if (r.seq > expected) {
    const missing = r.seq - 1 === expected ? `record ${expected} is` : `records ${expected}–${r.seq - 1} are`;
    return { kind: "deleted", seq: expected, message: `${missing} missing`, seqs: range(expected, r.seq - 1) };
  }
  const intact = auditHash(r) === r.hash;
  if (intact && r.prevHash === prev.hash) return undefined;
  // The record that names the previous one as its predecessor is the one that belongs here. Found later in the
  // log, and intact once given this seq, it was moved: the records were reordered, not edited. (prev_hash has no
  // index: this lookup runs only once, on a chain already found broken.)
  const [moved] = await store.listAudit({ prevHash: prev.hash, afterSeq: r.seq, order: "asc", limit: 1 });
  if (moved && auditHash({ ...moved, seq: r.seq }) === moved.hash) {
    return {
      kind: "reordered",
      seq: r.seq,
      message: `the record stored at seq ${moved.seq} belongs at seq ${r.seq}: records were moved`,
      seqs: [r.seq, moved.seq],
    };
  }
  if (!intact) {
    return {
      kind: "changed",
      seq: r.seq,
      message: `record ${r.seq} was changed: its content no longer matches its hash`,
      seqs: [r.seq],
    };
  }
  return {
    kind: "changed",
    seq: r.seq,
    message: `record ${r.seq} does not link to record ${prev.seq}: one of them was rewritten and re-hashed`,
    seqs: prev.seq > 0 ? [prev.seq, r.seq] : [r.seq],
  };
}

/** The last record against the head row, which catches records cut from the end (unless the head was rewritten too). */
function checkHead(last: { seq: number; hash: string }, head: AuditHead): AuditProblem | null {
  if (last.seq < head.seq) {
    const from = last.seq + 1;
    const which = from === head.seq ? `record ${from} is` : `records ${from}–${head.seq} are`;
    return {
      kind: "deleted",
      seq: from,
      message: `${which} missing from the end of the log`,
      seqs: range(from, head.seq),
    };
  }
  if (last.seq > head.seq) {
    return {
      kind: "changed",
      seq: head.seq + 1,
      message: `records after seq ${head.seq} were added outside Pave (the chain head ends there)`,
      seqs: range(head.seq + 1, last.seq),
    };
  }
  if (last.hash !== head.hash) {
    return {
      kind: "changed",
      seq: last.seq,
      message: `record ${last.seq} is not the one the chain head names: it was rewritten and re-hashed`,
      seqs: [last.seq],
    };
  }
  return null;
}
