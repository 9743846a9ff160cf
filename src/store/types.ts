// The records Pave keeps and the one Store interface every adapter implements.
// Callers see plain objects with numbers and booleans; adapters own the SQL and the column types.

/** A function's immutable build: content-addressed id, the normalised manifest and the bundled script. */
export interface VersionRecord {
  env: string;
  function: string;
  /** Content hash of manifest + bundle (hex). */
  id: string;
  /** 1, 2, 3 … per function, in creation order; for humans. */
  seq: number;
  /** The normalised manifest as JSON text. */
  manifest: string;
  bundle: string;
  bundleBytes: number;
  createdAt: number;
  createdBy: string;
}

export interface FunctionRecord {
  env: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  /** The version alias `live` points at, if any. */
  live: string | null;
  /** The manifest of that version (JSON text), so listings need no second query. */
  manifest: string | null;
}

export type ActivationStatus = "success" | "error";
export type Trigger = "http" | "invoke";

/** The durable record of one invocation. */
export interface Activation {
  id: string;
  env: string;
  function: string;
  version: string;
  trigger: Trigger;
  startedAt: number;
  durationMs: number;
  billedMs: number;
  memoryMb: number;
  status: ActivationStatus;
  /** An error code (`Timeout`, `FunctionError`, …) when status is `error`. */
  errorCode: string | null;
  errorMessage: string | null;
  /** HTTP status returned to the caller, for http triggers. */
  httpStatus: number | null;
  cold: boolean;
  traceId: string;
  correlationId: string;
  /** Log lines dropped because the activation exceeded its log budget. */
  logsDropped: number;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LogLine {
  /** Assigned by the store; increases with insertion, so it is a follow cursor. */
  id?: number;
  activationId: string;
  env: string;
  function: string;
  version: string;
  ts: number;
  level: LogLevel;
  message: string;
}

export type Role = "viewer" | "developer" | "operator" | "admin";

export interface TokenRecord {
  id: string;
  /** SHA-256 of the secret, hex; the secret itself is never stored. */
  hash: string;
  name: string;
  role: Role;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

export interface ActivationQuery {
  env: string;
  function?: string;
  status?: ActivationStatus;
  /** Only activations with an id below this one (the cursor of the previous page). */
  before?: string;
  limit: number;
}

export interface LogQuery {
  env: string;
  function?: string;
  activationId?: string;
  /** Only lines with an id above this one. */
  after?: number;
  since?: number;
  level?: LogLevel;
  grep?: string;
  limit: number;
}

export interface DeployResult {
  version: VersionRecord;
  /** False when an identical version already existed. */
  created: boolean;
  /** What `live` pointed at before, if anything. */
  previous: string | null;
}

/** All durable state goes through this interface; `test/store/contract.ts` is its specification. */
export interface Store {
  readonly kind: "sqlite" | "postgres";
  /** Resolves when the store answers a trivial query; rejects when it is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;

  listEnvironments(): Promise<string[]>;

  /** In one transaction: create the function if new, add the version unless it exists, point `alias` at it. */
  deploy(version: Omit<VersionRecord, "seq" | "createdAt">, alias: string, now: number): Promise<DeployResult>;
  getFunction(env: string, name: string): Promise<FunctionRecord | undefined>;
  listFunctions(env: string): Promise<FunctionRecord[]>;
  /** Removes the function with its versions and aliases; activations and logs stay for the record. */
  deleteFunction(env: string, name: string): Promise<boolean>;
  getVersion(env: string, fn: string, id: string): Promise<VersionRecord | undefined>;
  listVersions(env: string, fn: string): Promise<Omit<VersionRecord, "bundle">[]>;
  getAlias(env: string, fn: string, alias: string): Promise<string | undefined>;

  insertActivations(activations: Activation[], logs: LogLine[]): Promise<void>;
  getActivation(id: string): Promise<Activation | undefined>;
  listActivations(query: ActivationQuery): Promise<Activation[]>;
  listLogs(query: LogQuery): Promise<LogLine[]>;

  insertToken(token: TokenRecord): Promise<void>;
  findToken(hash: string): Promise<TokenRecord | undefined>;
  countTokens(): Promise<number>;
}
