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
export type Trigger = "http" | "invoke" | "service";

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
  /** CPU time the isolate spent on this invocation, when the runtime could attribute it (ms). */
  cpuMs: number | null;
  /** Billed GB-seconds: memory (GB) × billed duration (s), as Lambda bills. */
  gbSeconds: number;
  /** Every outbound `fetch` the invocation made, allowed or denied, in call order. */
  egress: EgressCall[];
}

/** One outbound HTTP call from a function: what egress looked like, kept on the activation. */
export interface EgressCall {
  host: string;
  method: string;
  /** The response status; null when the call failed or was denied. */
  status: number | null;
  bytesOut: number;
  bytesIn: number;
  durationMs: number;
  /** An error code (`EgressDenied`, `Timeout`, …) when the call did not get a response. */
  error?: string;
}

export type SpanKind = "server" | "client" | "internal" | "producer" | "consumer";

/** A span attribute's value, as OpenTelemetry allows them (arrays aside). */
export type SpanAttributeValue = string | number | boolean;

/**
 * One timed operation of a trace: an invocation (a `server` span) or a call it made through a binding (a `client` or
 * `producer` span, its child). Attribute names follow the OpenTelemetry semantic conventions (see docs/traces.md).
 */
export interface Span {
  /** W3C trace id: 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  /** The span this one runs under; for an invocation, the caller's span (which may live outside Pave). */
  parentSpanId: string | null;
  name: string;
  kind: SpanKind;
  /** Epoch ms, fractional. */
  startedAt: number;
  durationMs: number;
  status: "ok" | "error";
  statusMessage: string | null;
  attributes: Record<string, SpanAttributeValue>;
  /** The activation whose invocation the span belongs to. */
  activationId: string;
  env: string;
  function: string;
}

/** One kv entry. Values are bytes; the binding converts text and JSON. */
export interface KvEntry {
  value: Uint8Array;
  /** Epoch ms after which the entry is gone; null keeps it until deleted. */
  expiresAt: number | null;
}

export interface KvListQuery {
  prefix?: string;
  /** The `cursor` of the previous page: listing resumes after this key. */
  cursor?: string;
  limit: number;
}

export interface KvListPage {
  keys: { name: string; expiresAt: number | null }[];
  /** Pass back to get the next page; null on the last page. */
  cursor: string | null;
}

/** A secret as stored: AES-256-GCM ciphertext; the plaintext never reaches the store. */
export interface SealedSecret {
  /** Which master key sealed it (for key rotation). */
  keyId: string;
  iv: Uint8Array;
  ciphertext: Uint8Array;
  tag: Uint8Array;
}

export interface SecretInfo {
  name: string;
  createdAt: number;
  updatedAt: number;
}

export interface TopicRecord {
  env: string;
  name: string;
  createdAt: number;
}

/** An event as published; its delivery state belongs to the triggers. */
export interface NewEvent {
  /** UUIDv7, assigned by the publisher so the caller learns it before the commit returns. */
  id: string;
  /** JSON text. */
  payload: string;
  correlationId: string;
  traceId: string;
  /** The publishing span (the function's `producer` span), so a consumer's span can name it as parent. @default "" */
  spanId?: string;
  /** Who published: `function:<name>`, `api:<token id>`. */
  source: string;
  publishedAt: number;
}

/** A published event as stored, read back in publish (id) order. */
export interface EventRecord extends NewEvent {
  env: string;
  topic: string;
}

export interface EventQuery {
  /** Only events with an id above this one (the last id of the previous page). */
  after?: string;
  limit: number;
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
  version?: string;
  trigger?: Trigger;
  /** Started at or after this time (epoch ms). */
  since?: number;
  /** Started before this time (epoch ms). */
  until?: number;
  traceId?: string;
  correlationId?: string;
  /** Only activations with an id below this one (the cursor of the previous page). */
  before?: string;
  limit: number;
}

export interface UsageQuery {
  /** Every environment when absent. */
  env?: string;
  since: number;
  until: number;
  by: "function" | "version" | "env" | "trigger";
}

export interface UsageRow {
  /** The group's value (for `version`, `function@version`; for `function`, `env/function`). */
  key: string;
  env: string;
  function: string | null;
  invocations: number;
  errors: number;
  gbSeconds: number;
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

  /** Writes a batch of activations with their log lines and spans, in one transaction. */
  insertActivations(activations: Activation[], logs: LogLine[], spans?: Span[]): Promise<void>;
  getActivation(id: string): Promise<Activation | undefined>;
  listActivations(query: ActivationQuery): Promise<Activation[]>;
  listLogs(query: LogQuery): Promise<LogLine[]>;
  /** A trace's spans in start order (empty when none are kept). */
  listSpans(traceId: string): Promise<Span[]>;

  /** kv: entries past `expiresAt` read as absent (`now` decides) and are purged by `purgeExpiredKv`. */
  kvGet(env: string, namespace: string, key: string, now: number): Promise<KvEntry | undefined>;
  kvPut(env: string, namespace: string, key: string, entry: KvEntry): Promise<void>;
  kvDelete(env: string, namespace: string, key: string): Promise<boolean>;
  /** Keys in byte order of their UTF-8 names, live ones only. */
  kvList(env: string, namespace: string, query: KvListQuery, now: number): Promise<KvListPage>;
  purgeExpiredKv(now: number): Promise<number>;

  /**
   * Retention: deletes activations (and their log lines and spans) that started before `before` (epoch ms), and all
   * but the newest `keep`. Works in small batches so writers are never held up for long; returns how many were deleted.
   */
  pruneActivations(policy: {
    before?: number;
    keep?: number;
  }): Promise<{ activations: number; logs: number; spans: number }>;

  /** Activations started in [since, until), summed per group: what cost is computed from. */
  usage(query: UsageQuery): Promise<UsageRow[]>;

  /** Creates or replaces a secret (createdAt survives replacement). */
  putSecret(env: string, name: string, sealed: SealedSecret, now: number): Promise<void>;
  /** The named secrets that exist; missing names are simply absent from the map. */
  getSecrets(env: string, names: string[]): Promise<Map<string, SealedSecret>>;
  listSecrets(env: string): Promise<SecretInfo[]>;
  deleteSecret(env: string, name: string): Promise<boolean>;

  /** False when the topic already existed. */
  createTopic(env: string, name: string, now: number): Promise<boolean>;
  getTopic(env: string, name: string): Promise<TopicRecord | undefined>;
  listTopics(env: string): Promise<TopicRecord[]>;
  /** Appends events durably, in one transaction: when this resolves they are committed. Throws TopicNotFound. */
  publishEvents(env: string, topic: string, events: NewEvent[]): Promise<void>;
  /** A topic's events in publish (id) order. */
  listEvents(env: string, topic: string, query: EventQuery): Promise<EventRecord[]>;

  insertToken(token: TokenRecord): Promise<void>;
  findToken(hash: string): Promise<TokenRecord | undefined>;
  countTokens(): Promise<number>;
}
