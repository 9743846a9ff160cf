// The Store over Kysely: one set of adapter-neutral queries that SQLite and PostgreSQL both run.
// Adapters supply the dialect and their connection quirks; nothing here is specific to one database.
import { type Kysely, type Selectable, type SqlBool, sql } from "kysely";
import { PaveError } from "../errors.ts";
import type { AuditHead, AuditQuery, AuditRecord, NewAuditRecord, UnsealedAuditRecord } from "./audit-types.ts";
import type { CanaryChange, CanaryRecord, CanaryStatus, NewCanary } from "./canary-types.ts";
import type { Cluster, ClusterOptions } from "./change-types.ts";
import type { EnvironmentContents, EnvironmentCopy, EnvironmentRecord, FunctionActivity } from "./environment-types.ts";
import { invocationSpan } from "./invocation-span.ts";
import { textBodies } from "./json-bytes.ts";
import * as chunks from "./kysely-activations.ts";
import * as aliases from "./kysely-aliases.ts";
import * as audit from "./kysely-audit.ts";
import * as bindings from "./kysely-bindings.ts";
import * as canaries from "./kysely-canaries.ts";
import * as deliveries from "./kysely-deliveries.ts";
import * as environments from "./kysely-environments.ts";
import * as logChunks from "./kysely-logs.ts";
import * as policies from "./kysely-policies.ts";
import * as rollups from "./kysely-rollups.ts";
import * as schedules from "./kysely-schedules.ts";
import * as tokens from "./kysely-tokens.ts";
import { localCluster } from "./local-cluster.ts";
import type {
  BudgetThrottle,
  PendingDecision,
  PendingDeployment,
  PendingStatus,
  PolicyRecord,
} from "./policy-types.ts";
import { packRecords, type RecordBatch } from "./record-batch.ts";
import type { Database } from "./schema.ts";
import { plainText, type TextCodec } from "./text-codec.ts";
import type {
  Activation,
  ActivationQuery,
  AliasChange,
  AliasMove,
  AliasRecord,
  AliasTarget,
  AsyncInvocation,
  BacklogRow,
  ClaimedDelivery,
  Delivery,
  DeliveryClaim,
  DeliveryOutcome,
  DeliveryQuery,
  DeployResult,
  EventLifecycle,
  EventQuery,
  EventRecord,
  FunctionRecord,
  IdempotencyKey,
  KvEntry,
  KvListPage,
  KvListQuery,
  LogLine,
  LogQuery,
  NewEvent,
  PauseRecord,
  RollupQuery,
  RollupSum,
  ScheduleClaim,
  ScheduleRecord,
  ScheduleSpec,
  SealedSecret,
  SecretInfo,
  Span,
  SpanKind,
  Store,
  SubscriptionSpec,
  TokenRecord,
  TopicRecord,
  UsageQuery,
  UsageRow,
  VersionRecord,
} from "./types.ts";

/** SQLite allows at most 32766 bound parameters per statement; rows are split so no insert comes near it. */
const ROWS_PER_INSERT = 500;

export class KyselyStore implements Store {
  readonly kind: Store["kind"];
  readonly db: Kysely<Database>;
  /** How free text is spelled in this database (see text-codec.ts). */
  protected readonly text: TextCodec;

  constructor(kind: Store["kind"], db: Kysely<Database>, text: TextCodec = plainText) {
    this.kind = kind;
    this.db = db;
    this.text = text;
  }

  async ping(): Promise<void> {
    await this.db.selectFrom("environments").select("name").limit(1).execute();
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** One node (SQLite); the PostgreSQL store overrides this with the change feed and the leader lock. */
  cluster(_options: ClusterOptions): Cluster {
    return localCluster();
  }

  async pruneChanges(before: number): Promise<number> {
    const r = await this.db.deleteFrom("changes").where("at", "<", before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async listEnvironments(): Promise<string[]> {
    const rows = await this.db.selectFrom("environments").select("name").orderBy("name").execute();
    return rows.map((r) => r.name);
  }

  getEnvironment(name: string): Promise<EnvironmentRecord | undefined> {
    return environments.getEnvironment(this.db, name);
  }

  listEnvironmentRecords(): Promise<EnvironmentRecord[]> {
    return environments.listEnvironmentRecords(this.db);
  }

  createEnvironment(env: EnvironmentRecord, now: number): Promise<EnvironmentCopy> {
    return environments.createEnvironment(this.db, env, now);
  }

  environmentContents(name: string): Promise<EnvironmentContents> {
    return environments.environmentContents(this.db, name);
  }

  deleteEnvironment(name: string): Promise<EnvironmentContents | undefined> {
    return environments.deleteEnvironment(this.db, name);
  }

  functionActivity(env: string, since: number): Promise<FunctionActivity[]> {
    return environments.functionActivity(this.db, env, since);
  }

  async deploy(
    version: Omit<VersionRecord, "seq" | "createdAt">,
    alias: string,
    now: number,
    options: { target?: (current: AliasTarget | null) => AliasTarget; reason?: string; by?: string } = {},
  ): Promise<DeployResult> {
    return this.db.transaction().execute(async (tx) => {
      const { env, function: fn } = version;
      // Checked inside the transaction, so a deploy racing the environment's removal cannot leave an orphan.
      if (!(await environments.getEnvironment(tx, env))) {
        throw new PaveError("EnvironmentNotFound", `no environment ${env}; create it with \`pave env create ${env}\``);
      }
      // Claim the function row first: on PostgreSQL this row lock serialises concurrent deploys of one function.
      await tx
        .insertInto("functions")
        .values({ env, name: fn, created_at: now, updated_at: now, next_seq: 1 })
        .onConflict((oc) => oc.columns(["env", "name"]).doUpdateSet({ updated_at: now }))
        .execute();
      const fnRow = await tx
        .selectFrom("functions")
        .select("next_seq")
        .where("env", "=", env)
        .where("name", "=", fn)
        .executeTakeFirstOrThrow();

      let stored = await tx
        .selectFrom("versions")
        .selectAll()
        .where("env", "=", env)
        .where("function", "=", fn)
        .where("id", "=", version.id)
        .executeTakeFirst();
      const created = stored === undefined;
      if (!stored) {
        stored = {
          env,
          function: fn,
          id: version.id,
          seq: Number(fnRow.next_seq),
          manifest: version.manifest,
          bundle: version.bundle,
          bundle_bytes: version.bundleBytes,
          created_at: now,
          created_by: version.createdBy,
        };
        await tx.insertInto("versions").values(stored).execute();
        await tx
          .updateTable("functions")
          .set({ next_seq: Number(fnRow.next_seq) + 1 })
          .where("env", "=", env)
          .where("name", "=", fn)
          .execute();
      }

      const current = await aliases.readAlias(tx, env, fn, alias);
      const from = current ? { split: current.split, shadow: current.shadow } : null;
      const to = options.target
        ? options.target(from)
        : { split: [{ version: version.id, weight: 100 }], shadow: null };
      await aliases.moveAlias(tx, env, fn, alias, to, {
        reason: options.reason ?? "deploy",
        by: options.by ?? version.createdBy,
        now,
      });
      return { version: toVersion(stored), created, previous: current?.split[0]?.version ?? null, from, to };
    });
  }

  async getFunction(env: string, name: string): Promise<FunctionRecord | undefined> {
    const rows = await this.functionQuery(env).where("f.name", "=", name).execute();
    return rows[0] && toFunction(rows[0]);
  }

  async listFunctions(env: string): Promise<FunctionRecord[]> {
    const rows = await this.functionQuery(env).orderBy("f.name").execute();
    return rows.map(toFunction);
  }

  private functionQuery(env: string) {
    return this.db
      .selectFrom("functions as f")
      .leftJoin("aliases as a", (j) =>
        j.onRef("a.env", "=", "f.env").onRef("a.function", "=", "f.name").on("a.name", "=", "live"),
      )
      .leftJoin("versions as v", (j) =>
        j.onRef("v.env", "=", "a.env").onRef("v.function", "=", "a.function").onRef("v.id", "=", "a.version"),
      )
      .select([
        "f.env",
        "f.name",
        "f.created_at",
        "f.updated_at",
        "a.version as live",
        "a.updated_at as live_since",
        "v.manifest",
      ])
      .where("f.env", "=", env);
  }

  async deleteFunction(env: string, name: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await aliases.deleteAliases(tx, env, name);
      await tx.deleteFrom("versions").where("env", "=", env).where("function", "=", name).execute();
      // With the function gone, no node may claim its ticks any more (their claims find no row).
      await tx.deleteFrom("schedules").where("env", "=", env).where("function", "=", name).execute();
      // Publishes from now on owe it nothing; deliveries already owed stay on the record.
      await tx.deleteFrom("subscriptions").where("env", "=", env).where("function", "=", name).execute();
      await tx.deleteFrom("paused_functions").where("env", "=", env).where("function", "=", name).execute();
      // And no analysis may move the alias of a function that is gone.
      await canaries.deleteCanary(tx, env, name);
      const res = await tx.deleteFrom("functions").where("env", "=", env).where("name", "=", name).executeTakeFirst();
      return Number(res.numDeletedRows) > 0;
    });
  }

  async getVersion(env: string, fn: string, id: string): Promise<VersionRecord | undefined> {
    const row = await this.db
      .selectFrom("versions")
      .selectAll()
      .where("env", "=", env)
      .where("function", "=", fn)
      .where("id", "=", id)
      .executeTakeFirst();
    return row && toVersion(row);
  }

  async listVersions(env: string, fn: string): Promise<Omit<VersionRecord, "bundle">[]> {
    const rows = await this.db
      .selectFrom("versions")
      .select(["env", "function", "id", "seq", "manifest", "bundle_bytes", "created_at", "created_by"])
      .where("env", "=", env)
      .where("function", "=", fn)
      .orderBy("seq", "desc")
      .execute();
    return rows.map((r) => {
      const { bundle: _bundle, ...rest } = toVersion({ ...r, bundle: "" });
      return rest;
    });
  }

  async getAlias(env: string, fn: string, alias: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom("aliases")
      .select("version")
      .where("env", "=", env)
      .where("function", "=", fn)
      .where("name", "=", alias)
      .executeTakeFirst();
    return row?.version;
  }

  readAlias(env: string, fn: string, alias: string): Promise<AliasRecord | undefined> {
    return aliases.readAlias(this.db, env, fn, alias);
  }

  listAliases(env: string, fn: string): Promise<AliasRecord[]> {
    return aliases.listAliases(this.db, env, fn);
  }

  setAlias(env: string, fn: string, alias: string, to: AliasTarget, move: AliasMove): Promise<AliasTarget | null> {
    return aliases.setAlias(this.db, env, fn, alias, to, move);
  }

  deleteAlias(env: string, fn: string, alias: string, move: AliasMove): Promise<boolean> {
    return aliases.deleteAlias(this.db, env, fn, alias, move);
  }

  listAliasHistory(env: string, fn: string, alias: string, limit: number): Promise<AliasChange[]> {
    return aliases.listAliasHistory(this.db, env, fn, alias, limit);
  }

  async insertActivations(activations: Activation[], logs: LogLine[], spans: Span[] = []): Promise<void> {
    await this.insertBatch(packRecords(activations, logs, spans));
  }

  async insertBatch(batch: RecordBatch): Promise<void> {
    const { activations, spans } = batch;
    if (activations.chunks.length === 0 && spans.length === 0) return;
    // Decoded before the transaction opens: it then holds its locks only for the writes.
    const packed = { chunks: textBodies(activations.chunks), links: activations.links };
    await this.db.transaction().execute(async (tx) => {
      await rollups.upsertRollups(tx, batch.rollups);
      for (let i = 0; i < spans.length; i += ROWS_PER_INSERT) {
        await tx
          .insertInto("spans")
          .values(spans.slice(i, i + ROWS_PER_INSERT).map((sp) => fromSpan(sp, this.text)))
          .execute();
      }
      // Last: on PostgreSQL, chunks with lines hold a lock until the commit (see insertActivationChunks).
      await chunks.insertActivationChunks(tx, packed, this.kind === "postgres");
    });
  }

  /** A trace's spans in start order: its invocations' (made from their activations) and their binding calls'. */
  async listSpans(traceId: string): Promise<Span[]> {
    const [rows, activations] = await Promise.all([
      this.db.selectFrom("spans").selectAll().where("trace_id", "=", traceId).execute(),
      chunks.traceActivations(this.db, traceId),
    ]);
    const spans = rows.map((r) => toSpan(r, this.text));
    for (const a of activations) {
      const span = invocationSpan(a);
      if (span) spans.push(span);
    }
    return spans.sort((a, b) => a.startedAt - b.startedAt || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0));
  }

  getActivation(id: string): Promise<Activation | undefined> {
    return chunks.getActivation(this.db, id);
  }

  listActivations(q: ActivationQuery): Promise<Activation[]> {
    return chunks.listActivations(this.db, q);
  }

  listLogs(q: LogQuery): Promise<LogLine[]> {
    return logChunks.listLogs(this.db, q, this.grep);
  }

  logHorizon(env: string): Promise<number> {
    return logChunks.logHorizon(this.db, env);
  }

  /**
   * How `--grep` is matched: ignoring ASCII case, as SQLite's LIKE does, on every database. lower() in the C collation
   * folds ASCII letters only, whatever the database's locale: folding more (É, İ, a final Σ) in SQL and in JavaScript
   * alike cannot be promised, and a needle folded one way and a line another would miss. An adapter may spell it
   * faster for its database.
   */
  protected readonly grep: logChunks.GrepSpelling = {
    condition: (column, pattern) => sql<SqlBool>`lower(${sql.ref(column)} collate "C") like ${pattern} escape '\\'`,
    fold: logChunks.foldAscii,
  };

  kvGet(env: string, namespace: string, key: string, now: number): Promise<KvEntry | undefined> {
    return bindings.kvGet(this.db, env, namespace, key, now);
  }

  kvPut(env: string, namespace: string, key: string, entry: KvEntry): Promise<void> {
    return bindings.kvPut(this.db, env, namespace, key, entry);
  }

  kvDelete(env: string, namespace: string, key: string): Promise<boolean> {
    return bindings.kvDelete(this.db, env, namespace, key);
  }

  kvList(env: string, namespace: string, query: KvListQuery, now: number): Promise<KvListPage> {
    return bindings.kvList(this.db, env, namespace, query, now);
  }

  async pruneActivations(policy: {
    before?: number;
    keep?: number;
  }): Promise<{ activations: number; logs: number; spans: number }> {
    const cut = await chunks.pruneBound(this.db, policy);
    if (cut === undefined) return { activations: 0, logs: 0, spans: 0 };
    const { bound } = cut;
    const op = cut.inclusive ? "<=" : "<";
    const { activations, lines: logs } = await chunks.pruneChunks(this.db, cut);
    // Spans have no single-column key: each batch is a range of activation ids, found through their index.
    let spans = 0;
    for (;;) {
      const last = await this.db
        .selectFrom("spans")
        .select("activation_id")
        .where("activation_id", op, bound)
        .orderBy("activation_id")
        .offset(PRUNE_BATCH)
        .limit(1)
        .executeTakeFirst();
      const upTo = last ? last.activation_id : bound;
      const r = await this.db
        .deleteFrom("spans")
        .where("activation_id", last ? "<=" : op, upTo)
        .executeTakeFirst();
      spans += Number(r.numDeletedRows);
      if (!last) break;
    }
    return { activations, logs, spans };
  }

  usage(q: UsageQuery): Promise<UsageRow[]> {
    return chunks.usage(this.db, q);
  }

  rollups(query: RollupQuery): Promise<RollupSum[]> {
    return rollups.queryRollups(this.db, query);
  }

  pruneRollups(before: number): Promise<number> {
    return rollups.pruneRollups(this.db, before);
  }

  purgeExpiredKv(now: number): Promise<number> {
    return bindings.purgeExpiredKv(this.db, now);
  }

  putSecret(env: string, name: string, sealed: SealedSecret, now: number): Promise<void> {
    return bindings.putSecret(this.db, env, name, sealed, now);
  }

  getSecrets(env: string, names: string[]): Promise<Map<string, SealedSecret>> {
    return bindings.getSecrets(this.db, env, names);
  }

  listSecrets(env: string): Promise<SecretInfo[]> {
    return bindings.listSecrets(this.db, env);
  }

  deleteSecret(env: string, name: string): Promise<boolean> {
    return bindings.deleteSecret(this.db, env, name);
  }

  createTopic(env: string, name: string, now: number): Promise<boolean> {
    return bindings.createTopic(this.db, env, name, now);
  }

  getTopic(env: string, name: string): Promise<TopicRecord | undefined> {
    return bindings.getTopic(this.db, env, name);
  }

  listTopics(env: string): Promise<TopicRecord[]> {
    return bindings.listTopics(this.db, env);
  }

  publishEvents(env: string, topic: string, events: NewEvent[]): Promise<void> {
    return bindings.publishEvents(this.db, env, topic, events);
  }

  listEvents(env: string, topic: string, query: EventQuery): Promise<EventRecord[]> {
    return bindings.listEvents(this.db, env, topic, query);
  }

  appendAudit(entry: NewAuditRecord, seal: (record: UnsealedAuditRecord) => string): Promise<AuditRecord> {
    return audit.appendAudit(this.db, entry, seal);
  }

  putSchedule(spec: ScheduleSpec, nextFireAt: number, now: number): Promise<ScheduleRecord> {
    return schedules.putSchedule(this.db, spec, nextFireAt, now);
  }

  listSchedules(env?: string): Promise<ScheduleRecord[]> {
    return schedules.listSchedules(this.db, env);
  }

  deleteSchedule(env: string, fn: string): Promise<boolean> {
    return schedules.deleteSchedule(this.db, env, fn);
  }

  claimScheduleTick(claim: ScheduleClaim): Promise<"fire" | "skip" | "taken"> {
    return schedules.claimScheduleTick(this.db, claim);
  }

  finishScheduleRun(env: string, fn: string, tick: number, status: "success" | "error"): Promise<void> {
    return schedules.finishScheduleRun(this.db, env, fn, tick, status);
  }

  skipScheduleTicks(env: string, fn: string, upTo: number, next: number, now: number): Promise<boolean> {
    return schedules.skipScheduleTicks(this.db, env, fn, upTo, next, now);
  }

  startCanary(canary: NewCanary): Promise<CanaryRecord> {
    return canaries.startCanary(this.db, canary);
  }

  getCanary(env: string, fn: string): Promise<CanaryRecord | undefined> {
    return canaries.getCanary(this.db, env, fn);
  }

  listCanaries(status?: CanaryStatus): Promise<CanaryRecord[]> {
    return canaries.listCanaries(this.db, status);
  }

  updateCanary(env: string, fn: string, revision: number, change: CanaryChange): Promise<CanaryRecord | undefined> {
    return canaries.updateCanary(this.db, env, fn, revision, change);
  }

  listAudit(query: AuditQuery): Promise<AuditRecord[]> {
    return audit.listAudit(this.db, query);
  }

  auditHead(): Promise<AuditHead> {
    return audit.auditHead(this.db);
  }

  putSubscriptions(env: string, fn: string, subs: SubscriptionSpec[], now: number): Promise<void> {
    return deliveries.putSubscriptions(this.db, env, fn, subs, now);
  }

  listSubscriptions(env?: string): Promise<SubscriptionSpec[]> {
    return deliveries.listSubscriptions(this.db, env);
  }

  claimDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    return deliveries.claimDeliveries(this.db, this.kind === "postgres", claim);
  }

  finishDeliveries(claim: string, outcomes: DeliveryOutcome[], now: number): Promise<string[]> {
    return deliveries.finishDeliveries(this.db, claim, outcomes, now);
  }

  listDeliveries(query: DeliveryQuery): Promise<(Delivery & { event: EventRecord })[]> {
    return deliveries.listDeliveries(this.db, query);
  }

  getDelivery(id: string): Promise<Delivery | undefined> {
    return deliveries.getDelivery(this.db, id);
  }

  replayDeliveries(env: string, fn: string, eventIds: string[] | undefined, now: number): Promise<number> {
    return deliveries.replayDeliveries(this.db, env, fn, eventIds, now);
  }

  purgeDeliveries(env: string, fn: string): Promise<number> {
    return deliveries.purgeDeliveries(this.db, env, fn);
  }

  getEventLifecycle(id: string): Promise<EventLifecycle | undefined> {
    return deliveries.getEventLifecycle(this.db, id);
  }

  deliveryBacklog(env?: string): Promise<BacklogRow[]> {
    return deliveries.deliveryBacklog(this.db, env);
  }

  pruneDeliveries(before: number): Promise<number> {
    return deliveries.pruneDeliveries(this.db, before);
  }

  enqueueInvocation(job: AsyncInvocation, key?: IdempotencyKey): Promise<{ activationId: string; duplicate: boolean }> {
    return deliveries.enqueueInvocation(this.db, job, key);
  }

  setPaused(env: string, fn: string, by: string | null, now: number): Promise<boolean> {
    return deliveries.setPaused(this.db, env, fn, by, now);
  }

  getPaused(env: string, fn: string): Promise<PauseRecord | undefined> {
    return deliveries.getPaused(this.db, env, fn);
  }

  insertToken(t: TokenRecord): Promise<void> {
    return tokens.insertToken(this.db, t);
  }

  findToken(hash: string): Promise<TokenRecord | undefined> {
    return tokens.findToken(this.db, hash);
  }

  countTokens(): Promise<number> {
    return tokens.countTokens(this.db);
  }

  listTokens(): Promise<TokenRecord[]> {
    return tokens.listTokens(this.db);
  }

  revokeToken(id: string, now: number): Promise<TokenRecord | undefined> {
    return tokens.revokeToken(this.db, id, now);
  }

  putPolicy(env: string, yaml: string, createdBy: string, now: number): Promise<PolicyRecord> {
    return policies.putPolicy(this.db, env, yaml, createdBy, now);
  }

  getPolicy(env: string): Promise<PolicyRecord | undefined> {
    return policies.getPolicy(this.db, env);
  }

  policyEnvs(): Promise<string[]> {
    return policies.policyEnvs(this.db);
  }

  insertPending(pending: PendingDeployment): Promise<void> {
    return policies.insertPending(this.db, pending);
  }

  getPending(id: string): Promise<PendingDeployment | undefined> {
    return policies.getPending(this.db, id);
  }

  listPending(q: { env: string; status?: PendingStatus; limit: number }): Promise<Omit<PendingDeployment, "bundle">[]> {
    return policies.listPending(this.db, q);
  }

  decidePending(id: string, decision: PendingDecision): Promise<boolean> {
    return policies.decidePending(this.db, id, decision);
  }

  failApproved(id: string, reason: string): Promise<void> {
    return policies.failApproved(this.db, id, reason);
  }

  expirePending(before: number, now: number): Promise<Omit<PendingDeployment, "bundle">[]> {
    return policies.expirePending(this.db, before, now);
  }

  listBudgetThrottles(): Promise<BudgetThrottle[]> {
    return policies.listBudgetThrottles(this.db);
  }

  putBudgetThrottle(throttle: BudgetThrottle): Promise<boolean> {
    return policies.putBudgetThrottle(this.db, throttle);
  }

  deleteBudgetThrottle(env: string, fn: string): Promise<boolean> {
    return policies.deleteBudgetThrottle(this.db, env, fn);
  }
}

function toVersion(r: Selectable<Database["versions"]>): VersionRecord {
  return {
    env: r.env,
    function: r.function,
    id: r.id,
    seq: Number(r.seq),
    manifest: r.manifest,
    bundle: r.bundle,
    bundleBytes: Number(r.bundle_bytes),
    createdAt: Number(r.created_at),
    createdBy: r.created_by,
  };
}

function toFunction(r: {
  env: string;
  name: string;
  created_at: number;
  updated_at: number;
  live: string | null;
  live_since: number | null;
  manifest: string | null;
}): FunctionRecord {
  return {
    env: r.env,
    name: r.name,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    live: r.live,
    manifest: r.manifest,
    liveSince: r.live_since === null ? null : Number(r.live_since),
  };
}

export function fromSpan(s: Span, text = plainText): Database["spans"] {
  return {
    trace_id: s.traceId,
    span_id: s.spanId,
    parent_span_id: s.parentSpanId,
    name: text.store(s.name),
    kind: s.kind,
    started_at: s.startedAt,
    duration_ms: s.durationMs,
    status: s.status,
    status_message: s.statusMessage === null ? null : text.store(s.statusMessage),
    attributes: JSON.stringify(s.attributes),
    activation_id: s.activationId,
    env: s.env,
    function: s.function,
  };
}

function toSpan(r: Selectable<Database["spans"]>, text: TextCodec): Span {
  return {
    traceId: r.trace_id,
    spanId: r.span_id,
    parentSpanId: r.parent_span_id,
    name: text.load(r.name),
    kind: r.kind as SpanKind,
    startedAt: Number(r.started_at),
    durationMs: Number(r.duration_ms),
    status: r.status as Span["status"],
    statusMessage: r.status_message === null ? null : text.load(r.status_message),
    attributes: JSON.parse(r.attributes) as Span["attributes"],
    activationId: r.activation_id,
    env: r.env,
    function: r.function,
  };
}

/** Rows deleted per statement while pruning: small enough that the activation writer never waits long. */
const PRUNE_BATCH = 5000;
