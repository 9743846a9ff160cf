// The records Pave keeps and the one Store interface every adapter implements.
// Callers see plain objects with numbers and booleans; adapters own the SQL and the column types.
import type { AuditHead, AuditQuery, AuditRecord, NewAuditRecord, UnsealedAuditRecord } from "./audit-types.ts";
import type { CanaryChange, CanaryRecord, CanaryStatus, NewCanary } from "./canary-types.ts";
import type { Cluster, ClusterOptions } from "./change-types.ts";
import type { EnvironmentContents, EnvironmentCopy, EnvironmentRecord, FunctionActivity } from "./environment-types.ts";
import type {
  BudgetThrottle,
  PendingDecision,
  PendingDeployment,
  PendingStatus,
  PolicyRecord,
} from "./policy-types.ts";
import type { RecordBatch } from "./record-batch.ts";

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
  /** When `live` last moved (its deploy), epoch ms; what a manifest's `expires:` duration counts from. */
  liveSince: number | null;
}

export type ActivationStatus = "success" | "error";
/**
 * `shadow`: a copy of a request mirrored to an alias's shadow version (see docs/traffic.md), its answer discarded;
 * `topic`: a batch of a topic's events delivered to a subscriber.
 */
/** How an invocation was started. */
export const TRIGGERS = ["http", "invoke", "service", "schedule", "shadow", "topic"] as const;
export type Trigger = (typeof TRIGGERS)[number];

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
  /** On a shadow activation only: the id of the primary activation whose request it mirrored. */
  shadowOf?: string;
  /** On a shadow activation only: whether its response had the primary's status and body (null: not compared). */
  shadowMatch?: boolean | null;
  /**
   * The invocation's own span in its trace, whose `server` span is made from this activation (see invocationSpan);
   * absent on activations recorded before Pave kept it here.
   */
  spanId?: string;
  /** The caller's span: from the request's `traceparent`, or the calling function's service span. */
  parentSpanId?: string | null;
  /** When the span started: fractional epoch ms, the clock its child spans are timed on. */
  spanStartedAt?: number;
  /** The method and path of the request an http or service invocation answered. */
  httpMethod?: string;
  httpPath?: string;
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

/** A function's subscription to a topic, as its live manifest declares it (`subscriptions:`). */
export interface SubscriptionSpec {
  env: string;
  function: string;
  topic: string;
  batchSize: number;
  maxConcurrency: number;
  maxRetries: number;
  /** Top-level fields of the event's body that must match (a value, or a list of accepted values); null for all. */
  filter: Record<string, unknown> | null;
}

/** pending (waiting, maybe backing off) → inflight (claimed until visibleAt) → acked | dead. */
export type DeliveryState = "pending" | "inflight" | "acked" | "dead";

/** The queue of async invocations: a delivery on it runs its function once, its id being the activation id. */
export const ASYNC_QUEUE = "$async";

/** What one subscriber (or an async invocation) owes one event. */
export interface Delivery {
  id: string;
  env: string;
  function: string;
  /** The topic, or ASYNC_QUEUE. */
  queue: string;
  eventId: string;
  state: DeliveryState;
  /** Claims so far (a claim counts as an attempt: a node that died mid-run spent one). */
  attempts: number;
  /** Claimable from then on while pending or inflight. */
  visibleAt: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** A claimed delivery with the event it carries. */
export interface ClaimedDelivery extends Delivery {
  event: EventRecord;
}

export interface DeliveryClaim {
  env?: string;
  /** Every function's deliveries on the queue when absent (the async queue is claimed across functions). */
  function?: string;
  queue: string;
  limit: number;
  now: number;
  /** Until when the claim holds; after it a claim that was never finished comes back (the holder died). */
  visibleUntil: number;
  /** The claim's token: only its holder may finish the deliveries. */
  claim: string;
}

/** How one claimed delivery ended. `release` hands it back uncounted (the function was paused or throttled). */
export type DeliveryOutcome =
  | { id: string; outcome: "ack"; activationId: string }
  | { id: string; outcome: "retry"; activationId: string; error: string; visibleAt: number }
  | { id: string; outcome: "dead"; activationId: string; error: string }
  | { id: string; outcome: "release"; visibleAt: number };

export interface DeliveryAttempt {
  attempt: number;
  activationId: string;
  /** acked, retry, dead, or replayed (put back by `pave dlq replay`). */
  outcome: string;
  error: string | null;
  at: number;
}

/** An event and what became of it at each subscriber (`pave event ID`). */
export interface EventLifecycle {
  event: EventRecord;
  deliveries: (Delivery & { history: DeliveryAttempt[] })[];
}

/** Open deliveries of one (function, queue): what the depth and oldest-age gauges show. */
export interface BacklogRow {
  env: string;
  function: string;
  queue: string;
  /** Pending or inflight. */
  depth: number;
  /** Publish time of the oldest open delivery; null when none is open. */
  oldestAt: number | null;
  dead: number;
}

export interface DeliveryQuery {
  env: string;
  function: string;
  state: DeliveryState;
  limit: number;
}

/** An async invocation, accepted: stored as an event on ASYNC_QUEUE with one delivery whose id is the activation id. */
export interface AsyncInvocation {
  env: string;
  function: string;
  activationId: string;
  /** JSON text of the payload. */
  payload: string;
  correlationId: string;
  traceId: string;
  source: string;
  now: number;
}

export interface IdempotencyKey {
  key: string;
  /** Hash of the request; the same key with another hash is refused (IdempotencyKeyReused). */
  requestHash: string;
  expiresAt: number;
}

export interface PauseRecord {
  env: string;
  function: string;
  pausedAt: number;
  pausedBy: string;
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
  /**
   * What the function logged beside the message (`console.log("paid", { orderId: 7 })` keeps `orderId`): a plain
   * object of JSON values, or null when the line has none. See docs/logs.md for the rule.
   */
  fields: Record<string, unknown> | null;
  /** Its activation's W3C trace id ("" when none). */
  traceId: string;
  /** Its activation's correlation id ("" when none). */
  correlationId: string;
}

/**
 * A line as its activation records it: the rest of a LogLine is its activation's. `bytes`: about its size, when known
 * (the runtime counts its message's UTF-8 bytes and its fields' JSON length for its budget), to size chunks by.
 */
export type LogEntry = Pick<LogLine, "ts" | "level" | "message" | "fields"> & { bytes?: number };

/** What a schedule is: the manifest's `schedule`, as the scheduler keeps it in the store. */
export interface ScheduleSpec {
  env: string;
  function: string;
  cron: string;
  /** IANA time zone; null for UTC. */
  timezone: string | null;
  overlap: "skip" | "allow";
  missed: "skip" | "run-once";
}

/** A schedule with its lease: when it fires next, what it last did, and whether a run may still be going. */
export interface ScheduleRecord extends ScheduleSpec {
  nextFireAt: number;
  /** The latest tick claimed by any node, fired or skipped (0 before the first). */
  lastTick: number;
  lastFiredAt: number | null;
  /** Set while a run may be going: its start + timeout + grace; null once it ended. */
  runningUntil: number | null;
  lastStatus: "running" | "success" | "error" | null;
  lastActivation: string | null;
  updatedAt: number;
}

/** One node's attempt to take a tick (see Store.claimScheduleTick). */
export interface ScheduleClaim {
  env: string;
  function: string;
  /** The tick (epoch ms); claimed only if no node claimed it or a later one. */
  tick: number;
  /** The tick after it, stored as the schedule's next fire time. */
  next: number;
  /** The claiming node's clock. */
  now: number;
  /** Until when the run counts as going, if it fires. */
  runningUntil: number;
  /** The activation id the run will have. */
  activationId: string;
}

export type Role = "viewer" | "developer" | "operator" | "admin";

export interface TokenRecord {
  id: string;
  /** SHA-256 of the secret, hex; the secret itself is never stored. */
  hash: string;
  name: string;
  role: Role;
  /** The environments the token may act on, sorted; `["*"]` is every environment, including later ones. Never empty. */
  envs: string[];
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

/** An (env, function, version)'s activations that started in one minute, summed: what metrics are read from. */
export interface RollupRow {
  env: string;
  function: string;
  version: string;
  /** Epoch ms of the minute's start. */
  start: number;
  count: number;
  errors: number;
  coldStarts: number;
  /** Refused for want of room (`Throttled`, `CapacityExceeded`); also counted in errors. */
  throttles: number;
  /** Sum of wall-clock durations (ms). */
  durationMs: number;
  billedMs: number;
  gbSeconds: number;
  /** Invocations per duration bucket (bounds: `DURATION_BOUNDS_MS`, then one overflow bucket). */
  histogram: number[];
}

export interface RollupQuery {
  env: string;
  /** Every function when absent. */
  function?: string;
  /** Every version, merged, when absent. */
  version?: string;
  /** Minutes starting at or after this (epoch ms). */
  since: number;
  /** Minutes starting before this (epoch ms). */
  until: number;
  /** Width of the buckets minutes are summed into (ms, a whole number of minutes), aligned to the Unix epoch. */
  step: number;
}

/** Rollups summed per function and step bucket, versions merged. */
export type RollupSum = Omit<RollupRow, "env" | "version">;

export interface LogQuery {
  env: string;
  function?: string;
  activationId?: string;
  /** Only lines with an id above this one. */
  after?: number;
  /** Logged at or after this time (epoch ms). */
  since?: number;
  /** Logged before this time (epoch ms). */
  until?: number;
  /** Only lines of activations with this correlation id (across functions unless `function` is set). */
  correlationId?: string;
  /** This level or above. */
  level?: LogLevel;
  /** A literal, case-insensitive substring of the message or of the fields' JSON text. */
  grep?: string;
  limit: number;
}

/** One version of an alias's split and the share of requests it serves. */
export interface SplitEntry {
  version: string;
  /** Percent of requests, a whole number from 1 to 100; the entries of a split sum to 100. */
  weight: number;
}

/** A version that receives a copy of a share of an alias's requests; its responses are discarded. */
export interface ShadowTarget {
  version: string;
  /** Percent of requests mirrored, 1 to 100. */
  percent: number;
  /** Whether its kv writes and topic publishes go through (they run against the same data!). Off by default. */
  writes: boolean;
}

/**
 * Where an alias sends requests. The split's first entry is the baseline — what served before a canary began — and
 * any further entries are candidates: a canary is `[{ baseline, 100 - w }, { canary, w }]`.
 */
export interface AliasTarget {
  split: SplitEntry[];
  shadow: ShadowTarget | null;
}

export interface AliasRecord extends AliasTarget {
  env: string;
  function: string;
  name: string;
  updatedAt: number;
  /** Who moved it last (a token name); null for aliases moved before this was recorded. */
  updatedBy: string | null;
}

/** Who moved an alias, when, why and from where to where: what rollback reads, kept for the audit. */
export interface AliasChange {
  /** UUIDv7, so history reads newest first. */
  id: string;
  env: string;
  function: string;
  alias: string;
  /** Null when the change created the alias. */
  from: AliasTarget | null;
  /** Null when the change removed the alias. */
  to: AliasTarget | null;
  /** `deploy`, `canary`, `shadow`, `set`, `rollback`, `promote`, `remove`. */
  reason: string;
  by: string;
  at: number;
}

/** Says who moves an alias and why; goes into its history. */
export interface AliasMove {
  reason: string;
  by: string;
  now: number;
}

export interface DeployResult {
  version: VersionRecord;
  /** False when an identical version already existed. */
  created: boolean;
  /** What `live` pointed at before, if anything (its baseline when it was split). */
  previous: string | null;
  /** The alias as it was before (null if new) and as the deploy left it. */
  from: AliasTarget | null;
  to: AliasTarget;
}

/** All durable state goes through this interface; `test/store/contract.ts` is its specification. */
export interface Store {
  readonly kind: "sqlite" | "postgres";
  /** Resolves when the store answers a trivial query; rejects when it is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * This node's place among the nodes sharing the store: the change feed it hears and tells changes on, and the
   * leader lock. Started and closed by the caller, before `close`. On SQLite: one node, always leading.
   */
  cluster(options: ClusterOptions): Cluster;
  /** Deletes change-feed rows older than `before` (every node reads only the last seconds); returns how many. */
  pruneChanges(before: number): Promise<number>;

  listEnvironments(): Promise<string[]>;
  getEnvironment(name: string): Promise<EnvironmentRecord | undefined>;
  /** Every environment with its metadata, by name. */
  listEnvironmentRecords(): Promise<EnvironmentRecord[]>;
  /**
   * In one transaction: adds the environment and, when `env.from` names one, copies its functions, versions (same
   * ids and bundles), aliases (moved at `now`), schedules (without their lease) and topics (without events) — never
   * kv entries or secrets. Throws EnvironmentExists, or EnvironmentNotFound for a missing source.
   */
  createEnvironment(env: EnvironmentRecord, now: number): Promise<EnvironmentCopy>;
  /** How many functions, kv entries, secrets, topics and schedules an environment holds. */
  environmentContents(name: string): Promise<EnvironmentContents>;
  /**
   * In one transaction: removes the environment with everything it holds (functions, versions, aliases, schedules,
   * kv, secrets, topics and events) and returns what it held; activations, logs and rollups stay for the record.
   * Undefined when there is no such environment.
   */
  deleteEnvironment(name: string): Promise<EnvironmentContents | undefined>;
  /** Per function of `env` with rollups: its last invocation, and its invocations and GB-seconds since `since`. */
  functionActivity(env: string, since: number): Promise<FunctionActivity[]>;

  /**
   * In one transaction: create the function if new, add the version unless it exists, and point `alias` at it —
   * all of it, or wherever `options.target` says given what the alias held (a canary, a shadow) — with a history entry.
   * Throws EnvironmentNotFound when the version's environment does not exist.
   */
  deploy(
    version: Omit<VersionRecord, "seq" | "createdAt">,
    alias: string,
    now: number,
    options?: { target?: (current: AliasTarget | null) => AliasTarget; reason?: string; by?: string },
  ): Promise<DeployResult>;
  getFunction(env: string, name: string): Promise<FunctionRecord | undefined>;
  listFunctions(env: string): Promise<FunctionRecord[]>;
  /** Removes the function with its versions, aliases and schedule; activations and logs stay for the record. */
  deleteFunction(env: string, name: string): Promise<boolean>;
  getVersion(env: string, fn: string, id: string): Promise<VersionRecord | undefined>;
  listVersions(env: string, fn: string): Promise<Omit<VersionRecord, "bundle">[]>;
  /** The alias's baseline version (the whole of it when it is not split). */
  getAlias(env: string, fn: string, alias: string): Promise<string | undefined>;
  readAlias(env: string, fn: string, alias: string): Promise<AliasRecord | undefined>;
  listAliases(env: string, fn: string): Promise<AliasRecord[]>;
  /**
   * Creates or moves an alias and records the move, in one transaction. Throws VersionNotFound when the target names
   * a version the function does not have, FunctionNotFound when there is no such function. Returns what it held.
   */
  setAlias(env: string, fn: string, alias: string, to: AliasTarget, move: AliasMove): Promise<AliasTarget | null>;
  /** Removes an alias and records it; false when there was none. */
  deleteAlias(env: string, fn: string, alias: string, move: AliasMove): Promise<boolean>;
  /** An alias's moves, newest first. */
  listAliasHistory(env: string, fn: string, alias: string, limit: number): Promise<AliasChange[]>;

  /**
   * Writes a batch of activations with their log lines and spans, and adds the activations to the per-minute
   * rollups, in one transaction: the rollups never disagree with what they sum. The recorder's way in: it packs
   * records as they come (record-batch.ts).
   */
  insertBatch(batch: RecordBatch): Promise<void>;
  /**
   * insertBatch for records at hand: packs them, then writes them the same way. A line is stored in its activation's
   * row: one whose activation is not among `activations` is refused, and nothing is written.
   */
  insertActivations(activations: Activation[], logs: LogLine[], spans?: Span[]): Promise<void>;
  getActivation(id: string): Promise<Activation | undefined>;
  listActivations(query: ActivationQuery): Promise<Activation[]>;
  listLogs(query: LogQuery): Promise<LogLine[]>;
  /**
   * The largest id a line of `env` visible now can have (0 when it has none): every line with a larger id is
   * written later. A follower whose query matched nothing up to here goes on from here, not from its last match.
   */
  logHorizon(env: string): Promise<number>;
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

  /**
   * Rollups, summed per function and `step` bucket (versions merged), oldest first; buckets without activations are
   * absent. Rollups are written by insertBatch, in the same transaction as the activations they sum.
   */
  rollups(query: RollupQuery): Promise<RollupSum[]>;
  /** Retention for rollups, apart from activations' (they are small and kept longer): deletes minutes before `before`. */
  pruneRollups(before: number): Promise<number>;

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
  /**
   * Appends events durably, in one transaction with a delivery for every subscription of the topic whose filter
   * matches: when this resolves they are committed and owed. Throws TopicNotFound.
   */
  publishEvents(env: string, topic: string, events: NewEvent[]): Promise<void>;
  /** A topic's events in publish (id) order. */
  listEvents(env: string, topic: string, query: EventQuery): Promise<EventRecord[]>;

  /**
   * Appends a record to the audit chain in one transaction, serialised with every other append: gives it the next
   * seq and the previous record's hash, asks `seal` for its hash, and resolves once it is committed.
   */
  appendAudit(entry: NewAuditRecord, seal: (record: UnsealedAuditRecord) => string): Promise<AuditRecord>;
  /** Audit records matching the filters, newest first unless `order` says otherwise. */
  listAudit(query: AuditQuery): Promise<AuditRecord[]>;
  /** The last seq handed out and its hash (seq 0 and AUDIT_GENESIS_HASH before the first record). */
  auditHead(): Promise<AuditHead>;
  /**
   * Creates a schedule or updates its policies. `nextFireAt` is stored only when the row is new or its cron or time
   * zone changed; otherwise the stored lease stands. Returns the row as stored.
   */
  putSchedule(spec: ScheduleSpec, nextFireAt: number, now: number): Promise<ScheduleRecord>;
  /** Every environment's schedules when `env` is absent; by function name. */
  listSchedules(env?: string): Promise<ScheduleRecord[]>;
  deleteSchedule(env: string, fn: string): Promise<boolean>;
  /**
   * Takes a tick, atomically across nodes: `fire` for exactly one caller per tick; `skip` for exactly one when the
   * schedule's overlap is `skip` and a run is still going (running_until after `now`); `taken` for everyone else
   * (another node had it, a later tick was already claimed, or the schedule is gone).
   */
  claimScheduleTick(claim: ScheduleClaim): Promise<"fire" | "skip" | "taken">;
  /** Records how the run of `tick` ended and ends its lease (unless a later run holds it: overlap `allow`). */
  finishScheduleRun(env: string, fn: string, tick: number, status: "success" | "error"): Promise<void>;
  /**
   * Skips every tick up to `upTo` (missed while no node ran) and stores `next` as the next fire time, with the same
   * compare-and-set as a claim: true for exactly one caller, false when a node claimed `upTo` or later already.
   */
  skipScheduleTicks(env: string, fn: string, upTo: number, next: number, now: number): Promise<boolean>;

  /** Replaces a function's subscriptions (none removes them); publishes from then on fan out to the new set. */
  putSubscriptions(env: string, fn: string, subscriptions: SubscriptionSpec[], now: number): Promise<void>;
  /** Every environment's subscriptions when `env` is absent. */
  listSubscriptions(env?: string): Promise<SubscriptionSpec[]>;
  /**
   * Claims up to `limit` claimable deliveries (pending or inflight, visible_at passed, function not paused), oldest
   * first, in one transaction: each becomes inflight until `visibleUntil` under the claim's token, attempts + 1.
   * Concurrent claimers never get the same delivery (PostgreSQL: FOR UPDATE SKIP LOCKED).
   */
  claimDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]>;
  /**
   * Ends a claim's deliveries as told, in one transaction, and records each attempt; a delivery whose claim has
   * passed to another holder is left alone. Returns the ids that were finished.
   */
  finishDeliveries(claim: string, outcomes: DeliveryOutcome[], now: number): Promise<string[]>;
  listDeliveries(query: DeliveryQuery): Promise<(Delivery & { event: EventRecord })[]>;
  getDelivery(id: string): Promise<Delivery | undefined>;
  /** Dead deliveries of the function (those of `eventIds` only, when given) back to pending, attempts reset. */
  replayDeliveries(env: string, fn: string, eventIds: string[] | undefined, now: number): Promise<number>;
  /** Deletes the function's dead deliveries; returns how many. */
  purgeDeliveries(env: string, fn: string): Promise<number>;
  getEventLifecycle(id: string): Promise<EventLifecycle | undefined>;
  /** Open and dead deliveries per (function, queue); every environment when `env` is absent. */
  deliveryBacklog(env?: string): Promise<BacklogRow[]>;
  /** Deletes acked deliveries last changed before `before`, with their attempts; returns how many. */
  pruneDeliveries(before: number): Promise<number>;
  /**
   * Stores an async invocation durably (event + delivery) and, with a key, remembers it: a key already held
   * (unexpired) returns its first activation id with `duplicate`, or throws IdempotencyKeyReused when the request
   * hash differs.
   */
  enqueueInvocation(job: AsyncInvocation, key?: IdempotencyKey): Promise<{ activationId: string; duplicate: boolean }>;
  /** Pauses (by) or resumes (null) a function; false when it already was so. */
  setPaused(env: string, fn: string, by: string | null, now: number): Promise<boolean>;
  getPaused(env: string, fn: string): Promise<PauseRecord | undefined>;
  /**
   * Starts a canary of a function, replacing any row it had (a new `--canary` deploy replaces the one in progress):
   * step 0, running, and a revision above the old row's, so an evaluation of the old canary loses its claim.
   */
  startCanary(canary: NewCanary): Promise<CanaryRecord>;
  getCanary(env: string, fn: string): Promise<CanaryRecord | undefined>;
  /** Every environment's canaries, by env and function; only those with `status` when given. */
  listCanaries(status?: CanaryStatus): Promise<CanaryRecord[]>;
  /**
   * Applies `change` only if the row still has `revision` (a compare-and-set, atomic across nodes) and bumps it;
   * the row as changed, or undefined when another change came first or there is no row.
   */
  updateCanary(env: string, fn: string, revision: number, change: CanaryChange): Promise<CanaryRecord | undefined>;

  insertToken(token: TokenRecord): Promise<void>;
  findToken(hash: string): Promise<TokenRecord | undefined>;
  countTokens(): Promise<number>;
  /** Every token, revoked and expired ones included, oldest first. */
  listTokens(): Promise<TokenRecord[]>;
  /**
   * Marks a token revoked at `now` and returns it; a token revoked before keeps its first revocation time.
   * Undefined when no token has that id.
   */
  revokeToken(id: string, now: number): Promise<TokenRecord | undefined>;

  /** Stores a new version of an environment's policy file (the previous version + 1) and returns it. */
  putPolicy(env: string, yaml: string, createdBy: string, now: number): Promise<PolicyRecord>;
  /** The policy in force: the environment's highest version; undefined when it never had one. */
  getPolicy(env: string): Promise<PolicyRecord | undefined>;
  /** The environments that have a policy of their own, by name (environments come into being by deploying to them). */
  policyEnvs(): Promise<string[]>;
  insertPending(pending: PendingDeployment): Promise<void>;
  getPending(id: string): Promise<PendingDeployment | undefined>;
  /** An environment's pending deployments (of one status, if given), newest first, without bundles. */
  listPending(query: {
    env: string;
    status?: PendingStatus;
    limit: number;
  }): Promise<Omit<PendingDeployment, "bundle">[]>;
  /**
   * Decides a pending deployment with a compare-and-set on `status = 'pending'`: true for exactly one of any number
   * of concurrent callers, false when it was decided already (or there is no such id).
   */
  decidePending(id: string, decision: PendingDecision): Promise<boolean>;
  /** Marks an approved deployment whose deploy then failed as `failed`, with the reason. */
  failApproved(id: string, reason: string): Promise<void>;
  /** Expires pending deployments created before `before`; returns those this call expired. */
  expirePending(before: number, now: number): Promise<Omit<PendingDeployment, "bundle">[]>;
  /** Every budget throttle, by environment and function. */
  listBudgetThrottles(): Promise<BudgetThrottle[]>;
  /** Creates a throttle, or refreshes its rule, budget and cost (its `since` stays); true when this call created it. */
  putBudgetThrottle(throttle: BudgetThrottle): Promise<boolean>;
  /** True when this call deleted it. */
  deleteBudgetThrottle(env: string, fn: string): Promise<boolean>;
}
