// The audit log's write and read side: `record` is the one call every mutating action makes (API routes through
// their RouteSpec, the server for its own acts as `system`); `list` and `stream` read it back.
import { v7 } from "uuid";
import type { AuditActor, AuditOutcome, AuditQuery, AuditRecord, Store, TokenRecord } from "../store/index.ts";
import type { AuditAction } from "./audit-actions.ts";
import { auditHash } from "./audit-chain.ts";
import { type AuditVerifyReport, verifyAudit } from "./audit-verify.ts";

/** Pave acting on its own (the first admin token, expiring environments): no token, no role. */
export const SYSTEM_ACTOR: AuditActor = { id: null, name: "system", role: null };

/** The actor behind a request: its token's id, name and role (never the token's secret or hash). */
export function actorOf(token: TokenRecord): AuditActor {
  return { id: token.id, name: token.name, role: token.role };
}

/** One action to record. Everything but the action and the actor is optional. */
export interface AuditEntry {
  action: AuditAction;
  actor: AuditActor;
  /** @default "ok" */
  outcome?: AuditOutcome;
  env?: string | null;
  function?: string | null;
  target?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** JSON values; must hold nothing secret (names and sizes, never secret or kv values). */
  before?: unknown;
  after?: unknown;
  details?: Record<string, unknown> | null;
}

/** How many records a stream reads per query. */
const PAGE = 500;

export class AuditLog {
  readonly #store: Store;
  readonly #now: () => number;

  constructor(store: Store, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  /** Appends the record to the chain; resolves once it is committed (durable), with its seq and hash. */
  record(entry: AuditEntry): Promise<AuditRecord> {
    const at = this.#now();
    return this.#store.appendAudit(
      {
        id: v7({ msecs: at }),
        at,
        actor: entry.actor,
        action: entry.action,
        env: entry.env ?? null,
        function: entry.function ?? null,
        target: entry.target ?? null,
        outcome: entry.outcome ?? "ok",
        ip: entry.ip ?? null,
        userAgent: entry.userAgent ?? null,
        // Hashed as they will read back: through JSON, so `undefined` members and -0 cannot make a record unverifiable.
        before: plain(entry.before),
        after: plain(entry.after),
        details: plain(entry.details) as Record<string, unknown> | null,
      },
      auditHash,
    );
  }

  list(query: AuditQuery): Promise<AuditRecord[]> {
    return this.#store.listAudit(query);
  }

  /** Walks the whole chain and reports the first record that does not check out. */
  verify(): Promise<AuditVerifyReport> {
    return verifyAudit(this.#store);
  }

  /** Every matching record, oldest first, read page by page so a large log never sits in memory. */
  async *stream(query: Omit<AuditQuery, "limit" | "order" | "afterSeq">): AsyncGenerator<AuditRecord> {
    let afterSeq = 0;
    for (;;) {
      const page = await this.#store.listAudit({ ...query, order: "asc", afterSeq, limit: PAGE });
      yield* page;
      if (page.length < PAGE) return;
      afterSeq = (page.at(-1) as AuditRecord).seq;
    }
  }
}

function plain(value: unknown): unknown {
  return value === undefined || value === null ? null : JSON.parse(JSON.stringify(value));
}
