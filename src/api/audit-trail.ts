// Records each mutating control-API request in the audit log once it is decided: `ok` after the handler succeeded,
// `denied` when the token's role (or a policy) refused it, `failed` when it was allowed but did not happen.
import type { FastifyRequest } from "fastify";
import { PaveError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { type AuditLog, actorOf } from "../ops/index.ts";
import type { AuditOutcome, TokenRecord } from "../store/index.ts";
import type { AuditNote, RouteSpec } from "./route.ts";

/** Enough of a user agent to tell clients apart; the header can be 16 KiB. */
const MAX_USER_AGENT = 512;

/** Codes that mean "not allowed" rather than "did not work". */
const DENIALS = new Set(["Forbidden", "PolicyDenied"]);

export class AuditTrail {
  readonly #log: AuditLog;
  readonly #logger: Logger;

  constructor(log: AuditLog, logger: Logger) {
    this.#log = log;
    this.#logger = logger;
  }

  /**
   * The request changed something: its record is committed before the answer goes out. It is appended right after
   * the change, not in the change's transaction: changes run inside domain objects (the deployer, the store's own
   * transactions) that the API layer does not see. The window is one local commit; if it fails, the caller gets
   * AuditWriteFailed rather than a success, and the server log has the whole record.
   */
  async succeeded(spec: RouteSpec, request: FastifyRequest, token: TokenRecord, note: AuditNote): Promise<void> {
    const entry = this.#entry(spec, request, token, note, "ok");
    if (!entry) return;
    try {
      await this.#log.record(entry);
    } catch (err) {
      this.#logger.error({ err, audit: entry }, "a change was made but its audit record could not be written");
      throw new PaveError(
        "AuditWriteFailed",
        "the change was made but its audit record could not be written; see the server log",
        { cause: err },
      );
    }
  }

  /**
   * The request was refused or failed after its caller was identified. Denials are recorded because repeated
   * attempts beyond a token's role are what a security review looks for; unauthenticated requests (401) are not,
   * since anyone who can reach the port could then grow the chain without limit.
   */
  async refused(
    spec: RouteSpec,
    request: FastifyRequest,
    token: TokenRecord,
    note: AuditNote,
    err: unknown,
  ): Promise<void> {
    const code = err instanceof PaveError ? err.code : "Internal";
    const error = { code, ...(err instanceof PaveError && { message: err.message }) };
    const entry = this.#entry(spec, request, token, note, DENIALS.has(code) ? "denied" : "failed", error);
    if (!entry) return;
    try {
      await this.#log.record(entry);
    } catch (auditErr) {
      // The caller hears about its own error; this one is for the operator.
      this.#logger.error({ err: auditErr, audit: entry }, "a refused request's audit record could not be written");
    }
  }

  #entry(
    spec: RouteSpec,
    request: FastifyRequest,
    token: TokenRecord,
    note: AuditNote,
    outcome: AuditOutcome,
    error?: { code: string; message?: string },
  ) {
    const audit = spec.audit;
    if (!audit || "exempt" in audit) return undefined;
    const sent = { params: request.params as Record<string, string>, body: request.body };
    const target = audit.target(sent);
    const env = audit.env ? audit.env(sent) : (request.query as { env?: unknown }).env;
    const userAgent = request.headers["user-agent"];
    return {
      action: audit.action,
      actor: actorOf(token),
      outcome,
      env: note.env ?? (typeof env === "string" && env !== "" ? env : "prod"),
      target,
      function: audit.targetIsFunction ? target : null,
      ip: request.ip,
      userAgent: userAgent === undefined ? null : userAgent.slice(0, MAX_USER_AGENT),
      before: note.before ?? null,
      after: note.after ?? null,
      details: error || note.details ? { ...note.details, ...(error && { error }) } : null,
    };
  }
}
