// Every error a user can see: one base class with a stable string `code`.
// Codes are listed once here, each with its HTTP status and a one-line meaning; docs/errors.md documents each (a test checks).

/** The catalogue of error codes. `user` errors are the caller's to fix; the rest are ours or the function's. */
export const errorCodes = {
  /** The request is malformed: bad JSON, a bad query parameter, a missing field. */
  BadRequest: { status: 400, user: true },
  /** `pave.yaml` does not match the manifest schema. */
  InvalidManifest: { status: 400, user: true },
  /** The function's source did not bundle or compile. */
  BuildError: { status: 400, user: true },
  /** The bundle exports neither a web-standard `default.fetch` nor a Lambda-style `handler`. */
  InvalidHandler: { status: 400, user: true },
  /** No bearer token, or one that is unknown, expired or revoked. */
  Unauthorized: { status: 401, user: true },
  /** The token is valid but its role may not do this. */
  Forbidden: { status: 403, user: true },
  /** No function by that name in the environment. */
  FunctionNotFound: { status: 404, user: true },
  /** No version by that id for the function. */
  VersionNotFound: { status: 404, user: true },
  /** The function has no alias by that name (`/fn/NAME@ALIAS`, `pave alias rm`). */
  AliasNotFound: { status: 404, user: true },
  /** The function has no canary in progress to show, abort or promote (none was started, or it ended). */
  CanaryNotFound: { status: 404, user: true },
  /** `pave rollback` found no earlier version of the alias to return to. */
  NoPreviousVersion: { status: 409, user: true },
  /** No activation by that id. */
  ActivationNotFound: { status: 404, user: true },
  /** No span of that trace is kept (it never reached Pave, is not recorded yet, or is past retention). */
  TraceNotFound: { status: 404, user: true },
  /** No environment by that name (deploys are refused into one that was never created: `pave env create NAME`). */
  EnvironmentNotFound: { status: 404, user: true },
  /** An environment by that name already exists. */
  EnvironmentExists: { status: 409, user: true },
  /** The environment still holds functions, data or secrets; removing it takes `--force` (`?force=1`). */
  EnvironmentNotEmpty: { status: 409, user: true },
  /** `prod` is always present: it cannot be removed. */
  EnvironmentProtected: { status: 409, user: true },
  /** Nothing is served at that path. */
  RouteNotFound: { status: 404, user: true },
  /** No topic by that name in the environment. */
  TopicNotFound: { status: 404, user: true },
  /** No event by that id. */
  EventNotFound: { status: 404, user: true },
  /** An Idempotency-Key was sent again within 24 h with a different request body. */
  IdempotencyKeyReused: { status: 422, user: true },
  /** The function is paused (`pave pause`): it takes no invocations until `pave resume`; queued events wait. */
  FunctionPaused: { status: 503, user: true },
  /** No token with that id. */
  TokenNotFound: { status: 404, user: true },
  /** Revoking that token would leave no active admin token for every environment. */
  LastAdminToken: { status: 409, user: true },
  /** No secret by that name in the environment. */
  SecretNotFound: { status: 404, user: true },
  /** No live kv entry by that key in the namespace (it never existed, was deleted or expired). */
  KeyNotFound: { status: 404, user: true },
  /** A kv key is empty, longer than 512 bytes of UTF-8, or not well-formed text. */
  KvKeyInvalid: { status: 400, user: true },
  /** A kv value is larger than 1 MiB. */
  KvValueTooLarge: { status: 413, user: true },
  /** A manifest route is already taken by another function, or is reserved by Pave. */
  RouteConflict: { status: 409, user: true },
  /** The request body is larger than the limit. */
  PayloadTooLarge: { status: 413, user: true },
  /** The function fetched a host it holds no egress grant for (its fetch() rejects with a TypeError saying so). */
  EgressDenied: { status: 403, user: true },
  /** A policy rule denies the deploy (for every role); the message names the rule. */
  PolicyDenied: { status: 403, user: true },
  /** A policy file does not parse or match the policy schema; the message names the line and the reason. */
  PolicyInvalid: { status: 400, user: true },
  /** No pending deployment by that id. */
  ApprovalNotFound: { status: 404, user: true },
  /** The pending deployment was already approved, rejected or expired (e.g. another approver was first). */
  ApprovalDecided: { status: 409, user: true },
  /** The function's month-to-date cost passed a budget rule of its environment's policy; it is refused until it no longer does. */
  BudgetExceeded: { status: 429, user: true },
  /** The function is at its concurrency limit. */
  Throttled: { status: 429, user: true },
  /** The function threw (or rejected) while handling the invocation. */
  FunctionError: { status: 500, user: false },
  /** The function returned something that is not a Response / a valid Lambda result. */
  InvalidResponse: { status: 502, user: false },
  /** The function ran out of its memory limit; its instance was discarded. */
  OutOfMemory: { status: 502, user: false },
  /** The function did not finish within its timeout; its instance was discarded. */
  Timeout: { status: 504, user: false },
  /** The node's memory budget has no room for another instance (nothing idle to evict), or for a deploy's minInstances. */
  CapacityExceeded: { status: 503, user: false },
  /** A stored secret cannot be opened: sealed by another master key, or its bytes were altered. */
  SecretUndecryptable: { status: 500, user: false },
  /** The server's configuration is unusable (e.g. a malformed `PAVE_MASTER_KEY`); it refuses to start. */
  InvalidConfig: { status: 500, user: false },
  /** A change was made but its audit record could not be committed; the server log holds the record. */
  AuditWriteFailed: { status: 500, user: false },
  /** The server is starting or stopping, or its store is unreachable. */
  NotReady: { status: 503, user: false },
  /** `pave backup` would overwrite an existing file; `--force` replaces it. (CLI only, like the codes below.) */
  BackupExists: { status: 409, user: true },
  /** The file is not a Pave backup: not SQLite nor a pg_dump archive, truncated, corrupt, or from a newer Pave. */
  BackupInvalid: { status: 400, user: true },
  /** The backup is of the other kind of store: an SQLite backup for a PostgreSQL store, or the reverse. */
  BackupMismatch: { status: 400, user: true },
  /** No Pave store where the command looked (the data directory or the URL). */
  StoreNotFound: { status: 404, user: true },
  /** A restore was refused: a server has the SQLite store open, or the target PostgreSQL database is not empty. */
  StoreInUse: { status: 409, user: true },
  /** `pg_dump` or `pg_restore` is not installed, or is older than the PostgreSQL server. */
  PgToolMissing: { status: 500, user: true },
  /** pg_dump, pg_restore or the SQLite copy failed; the message carries their reason. Nothing was replaced. */
  BackupFailed: { status: 500, user: false },
  /** A bug in Pave. Details are in the server log, never in the response. */
  Internal: { status: 500, user: false },
} as const satisfies Record<string, { status: number; user: boolean }>;

export type ErrorCode = keyof typeof errorCodes;

/** The one error type Pave throws on purpose. Serialised as `{ error: { code, message } }`, never matched by `instanceof` across a boundary. */
export class PaveError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra machine-readable facts for the caller (e.g. the manifest issues); must hold nothing secret. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PaveError";
    this.code = code;
    this.status = errorCodes[code].status;
    this.details = options?.details;
  }
}

/** The wire shape of an error. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(errorCodes, value);
}

/** Turns anything thrown into what a user may see: PaveErrors as they are, everything else as `Internal` with no detail. */
export function toErrorBody(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof PaveError) {
    const error: ErrorBody["error"] = { code: err.code, message: err.message };
    if (err.details) error.details = err.details;
    return { status: err.status, body: { error } };
  }
  return { status: 500, body: { error: { code: "Internal", message: "internal error; see the server log" } } };
}
