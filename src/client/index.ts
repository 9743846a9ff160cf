// The typed client of the control API, used by the CLI, the dashboard and tests. Errors from the server arrive
// as ApiError with the server's stable code; nothing here imports server internals.
/** The version of Pave this client belongs to (`pave --version`). */

/** How durations are read (`30s`, `15m`, `12h`, `30d`), the same on both sides of the wire. */
export { DURATION_HINT, durationMs } from "../duration.ts";
export { TRIGGERS } from "../store/index.ts";
export { VERSION } from "../version.ts";

import { resolve } from "node:path";
import { packageFunction } from "../deploy/index.ts";
import type { AuditVerifyReport } from "../ops/index.ts";
import type {
  Activation,
  AliasChange,
  AliasTarget,
  AuditRecord,
  CanaryPolicy,
  KvListPage,
  LogLine,
  SecretInfo,
  ShadowTarget,
  Span,
  SplitEntry,
  TopicRecord,
} from "../store/index.ts";
import { VERSION } from "../version.ts";

export { type ClientConfig, configPath, DEFAULT_URL, resolveClientConfig } from "./config.ts";

import type { CanaryAnswer, CanaryFinishAnswer } from "./canary.ts";
import type {
  CreateEnvironmentAnswer,
  EnvironmentContents,
  EnvironmentSummary,
  StaleFunctionSummary,
} from "./environments.ts";
import type { AliasInfo, DeployMode, ShadowReportAnswer, VersionDiffAnswer, VersionInfo } from "./traffic.ts";

export type * from "./canary.ts";
export type * from "./environments.ts";
export type * from "./traffic.ts";

import { type ApprovalInfo, type PendingDeployAnswer, type PolicyAnswer, waitingLine } from "./policies.ts";

export type { ApprovalInfo, PendingDeployAnswer, PolicyAnswer } from "./policies.ts";
export { waitingLine };

/** An error answer from the server (or the network), carrying the server's code. */
import type { CostReport, FunctionMetrics, MetricsSummary } from "../telemetry/index.ts";

export type { AuditRecord, AuditVerifyReport, CostReport, FunctionMetrics, LogLine, MetricsSummary };

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, status: number, details?: Record<string, unknown>) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export interface FunctionSummary {
  name: string;
  env: string;
  version: string | null;
  memory: number | null;
  timeout: number | null;
  concurrency: number | null;
  tags: Record<string, string>;
  /** Set while a budget rule of the environment's policy refuses its invocations. */
  throttled: { rule: string; budgetUsd: number; costUsd: number; since: number } | null;
  createdAt: number;
  updatedAt: number;
}

export interface DeployAnswer {
  function: string;
  env: string;
  alias: string;
  changed: boolean;
  created: boolean;
  previous: string | null;
  /** `live` after the deploy: the whole of it, or baseline and canary. */
  split: SplitEntry[];
  shadow: ShadowTarget | null;
  /** The canary a full deploy replaced, if one was in progress. */
  replacedCanary: string | null;
  /** The analysed canary a `--canary` deploy started: the steps it goes through and its policy. */
  canary: { steps: number[]; policy: CanaryPolicy } | null;
  style: "web" | "lambda" | null;
  version: { id: string; seq: number; bundleBytes: number; createdAt: number };
}

export interface InvokeAnswer {
  activationId: string;
  version: string;
  result: unknown;
}

export interface ActivationDetail extends Activation {
  logs: { ts: number; level: string; message: string; fields: Record<string, unknown> | null }[];
}

/** A trace as `GET /traces/:traceId` answers it: its spans in start order, and the time they cover. */
export interface TraceAnswer {
  traceId: string;
  /** Epoch ms (fractional) of the earliest span's start. */
  startedAt: number;
  /** From the earliest start to the latest end. */
  durationMs: number;
  spans: Span[];
}

export type { Span };

export interface LogFilter {
  env?: string;
  function?: string;
  activation?: string;
  /** Only lines of activations with this correlation id. */
  correlation?: string;
  /** A duration ago (`30m`) or a date: lines at or after it. */
  since?: string;
  /** A duration ago or a date: lines before it. */
  until?: string;
  level?: string;
  grep?: string;
  after?: number;
  limit?: number;
}

/** Filters of `pave audit`: since/until like `7d` or a date; action exact or `secret.*`; actor a token name or id. */
export interface AuditFilter {
  env?: string;
  actor?: string;
  function?: string;
  action?: string;
  since?: string;
  until?: string;
}

export interface KvPutAnswer {
  namespace: string;
  key: string;
  env: string;
  bytes: number;
  /** Epoch ms, or null when the entry does not expire. */
  expiresAt: number | null;
}

/** A token as the API describes it: never its secret (except once, on creation) and never its hash. */
export interface TokenInfo {
  id: string;
  name: string;
  role: "viewer" | "developer" | "operator" | "admin";
  /** Environment names, or `["*"]` for every environment. */
  envs: string[];
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  state: "active" | "expired" | "revoked";
  /** This is the token the request was made with. */
  self: boolean;
}

export interface ScheduleSummary {
  function: string;
  env: string;
  cron: string;
  /** IANA time zone the cron is read in ("UTC" unless the manifest names one). */
  timezone: string;
  overlap: "skip" | "allow";
  missed: "skip" | "run-once";
  /** Epoch ms; null when the pattern has no tick left. */
  nextFireAt: number | null;
  lastFiredAt: number | null;
  lastStatus: "running" | "success" | "error" | null;
  lastActivation: string | null;
}

/** A topic with its subscriptions' backlog, as `pave topic ls` shows it. */
export interface TopicSummary extends TopicRecord {
  subscriptions: {
    function: string;
    batchSize: number;
    maxConcurrency: number;
    maxRetries: number;
    filter: Record<string, unknown> | null;
    depth: number;
    oldestAgeSeconds: number;
    dead: number;
  }[];
}

/** An event's lifecycle (`pave event ID`): published, then per subscriber every attempt and where it ended. */
export interface EventDetail {
  event: {
    id: string;
    env: string;
    topic: string;
    data: unknown;
    correlationId: string;
    traceId: string;
    source: string;
    publishedAt: number;
  };
  deliveries: {
    function: string;
    topic: string;
    state: "pending" | "inflight" | "acked" | "dead";
    attempts: number;
    lastError: string | null;
    visibleAt: number;
    updatedAt: number;
    history: { attempt: number; activationId: string; outcome: string; error: string | null; at: number }[];
  }[];
}

export interface DeadLetter {
  eventId: string;
  topic: string;
  attempts: number;
  lastError: string | null;
  failedAt: number;
  publishedAt: number;
  correlationId: string;
  data: unknown;
}

export interface AsyncInvokeAnswer {
  activationId: string;
  status: "pending";
  /** True when an Idempotency-Key matched an earlier request: nothing new was queued. */
  duplicate: boolean;
}

export class PaveClient {
  readonly url: string;
  readonly #token: string | undefined;

  constructor(opts: { url: string; token?: string | undefined }) {
    this.url = opts.url.replace(/\/+$/, "");
    this.#token = opts.token;
  }

  listFunctions(env = "prod"): Promise<{ functions: FunctionSummary[] }> {
    return this.#call("GET", "/functions", { env });
  }

  /** Functions deployed before the last `window` (`30d`) and not invoked in it: retire candidates. */
  listStaleFunctions(window: string, env = "prod"): Promise<{ since: number; functions: StaleFunctionSummary[] }> {
    return this.#call("GET", "/functions", { env, stale: window });
  }

  /** Creates an environment, empty or as a copy of `from`'s function versions and config; `ttl` like `72h`. */
  createEnvironment(opts: { name: string; from?: string; ttl?: string }): Promise<CreateEnvironmentAnswer> {
    return this.#call("POST", "/environments", undefined, opts);
  }

  listEnvironments(): Promise<{ monthStart: number; environments: EnvironmentSummary[] }> {
    return this.#call("GET", "/environments");
  }

  /** Removes an environment with all it holds; one that holds anything only with `force`. */
  deleteEnvironment(
    name: string,
    opts: { force?: boolean } = {},
  ): Promise<{ deleted: true; name: string; removed: EnvironmentContents }> {
    return this.#call("DELETE", `/environments/${enc(name)}`, opts.force ? { force: 1 } : undefined);
  }

  getFunction(name: string, env = "prod"): Promise<{ function: FunctionSummary }> {
    return this.#call("GET", `/functions/${enc(name)}`, { env });
  }

  deleteFunction(name: string, env = "prod"): Promise<{ deleted: boolean; name: string; env: string }> {
    return this.#call("DELETE", `/functions/${enc(name)}`, { env });
  }

  /** Deploys a manifest and an already-bundled script, or has it wait for an approval when the policy says so. */
  submitBundle(
    manifest: Record<string, unknown>,
    bundle: string,
    env = "prod",
    mode: DeployMode = {},
  ): Promise<DeployAnswer | PendingDeployAnswer> {
    return this.#call(
      "POST",
      `/functions/${enc(String(manifest.name))}/versions`,
      { env },
      { manifest, bundle, ...mode },
    );
  }

  /** Reads DIR/pave.yaml, bundles the entry locally (esbuild) and submits it (see submitBundle). */
  async submitDeploy(dir: string, env = "prod", mode: DeployMode = {}): Promise<DeployAnswer | PendingDeployAnswer> {
    const pkg = await packageFunction(resolve(dir));
    return this.submitBundle(pkg.raw, pkg.bundle, env, mode);
  }

  /** Like submitBundle, for callers that need it live now: a deploy held for an approval throws `PendingApproval`. */
  async deployBundle(
    manifest: Record<string, unknown>,
    bundle: string,
    env = "prod",
    mode: DeployMode = {},
  ): Promise<DeployAnswer> {
    return live(await this.submitBundle(manifest, bundle, env, mode));
  }

  /** Like submitDeploy, for callers that need it live now: a deploy held for an approval throws `PendingApproval`. */
  async deploy(dir: string, env = "prod", mode: DeployMode = {}): Promise<DeployAnswer> {
    return live(await this.submitDeploy(dir, env, mode));
  }

  /** The policy in force in an environment (the default one when none was set). */
  getPolicy(env = "prod"): Promise<PolicyAnswer> {
    return this.#call("GET", "/policies", { env });
  }

  /** Sets an environment's policy from a file's text; `file` names it in error messages. */
  setPolicy(yaml: string, env = "prod", file?: string): Promise<PolicyAnswer> {
    return this.#call("PUT", "/policies", { env }, { yaml, ...(file !== undefined && { file }) });
  }

  listApprovals(q: { env?: string; status?: string; limit?: number } = {}): Promise<{ approvals: ApprovalInfo[] }> {
    return this.#call("GET", "/approvals", q);
  }

  approve(id: string): Promise<{ approval: ApprovalInfo; deploy: DeployAnswer }> {
    return this.#call("POST", `/approvals/${enc(id)}/approve`);
  }

  reject(id: string, reason: string): Promise<{ approval: ApprovalInfo }> {
    return this.#call("POST", `/approvals/${enc(id)}/reject`, undefined, { reason });
  }

  listVersions(name: string, env = "prod"): Promise<{ versions: VersionInfo[] }> {
    return this.#call("GET", `/functions/${enc(name)}/versions`, { env });
  }

  /** Versions are named by seq number, id, id prefix or alias. */
  diffVersions(name: string, from: string, to: string, env = "prod"): Promise<VersionDiffAnswer> {
    return this.#call("GET", `/functions/${enc(name)}/diff`, { env, from, to });
  }

  listAliases(name: string, env = "prod"): Promise<{ aliases: AliasInfo[] }> {
    return this.#call("GET", `/functions/${enc(name)}/aliases`, { env });
  }

  /** Creates or moves an alias; versions by seq, id, prefix or alias. */
  setAlias(
    name: string,
    alias: string,
    target: {
      split: { version: string; weight: number }[];
      shadow?: { version: string; percent: number; writes?: boolean } | null;
    },
    env = "prod",
  ): Promise<{ function: string; env: string; alias: string; from: AliasTarget | null; to: AliasTarget }> {
    return this.#call("PUT", `/functions/${enc(name)}/aliases/${enc(alias)}`, { env }, target);
  }

  deleteAlias(name: string, alias: string, env = "prod"): Promise<{ deleted: boolean; alias: string }> {
    return this.#call("DELETE", `/functions/${enc(name)}/aliases/${enc(alias)}`, { env });
  }

  aliasHistory(name: string, alias: string, env = "prod", limit = 50): Promise<{ history: AliasChange[] }> {
    return this.#call("GET", `/functions/${enc(name)}/aliases/${enc(alias)}/history`, { env, limit });
  }

  /** Points live back at the version before (or at `to`). */
  rollback(
    name: string,
    to?: string,
    env = "prod",
  ): Promise<{ function: string; env: string; from: AliasTarget | null; to: AliasTarget; version: string }> {
    return this.#call("POST", `/functions/${enc(name)}/rollback`, { env }, to === undefined ? {} : { to });
  }

  /** Promotes, or — when the target environment's policy wants an approval the token cannot give — holds it. */
  promote(
    name: string,
    opts: { from: string; to: string; version?: string },
  ): Promise<
    | {
        function: string;
        from: string;
        to: string;
        changed: boolean;
        previous: string | null;
        version: { id: string; seq: number; bundleBytes: number };
      }
    | PendingDeployAnswer
  > {
    return this.#call("POST", `/functions/${enc(name)}/promote`, undefined, opts);
  }

  /** The function's analysed canary: state, last analysis, decisions (CanaryNotFound if it never had one). */
  canaryStatus(name: string, env = "prod"): Promise<CanaryAnswer> {
    return this.#call("GET", `/functions/${enc(name)}/canary`, { env });
  }

  /** Ends the canary in progress: `abort` returns live to the baseline, `promote` gives the canary all of it. */
  finishCanary(name: string, how: "abort" | "promote", env = "prod"): Promise<CanaryFinishAnswer> {
    return this.#call("POST", `/functions/${enc(name)}/canary/${how}`, { env });
  }

  shadowReport(name: string, q: { env?: string; since?: string } = {}): Promise<ShadowReportAnswer> {
    return this.#call("GET", `/functions/${enc(name)}/shadow`, { env: "prod", ...q });
  }

  invoke(name: string, payload: unknown, env = "prod"): Promise<InvokeAnswer> {
    return this.#call("POST", `/functions/${enc(name)}/invocations`, { env }, payload ?? null);
  }

  listActivations(
    q: {
      env?: string;
      function?: string;
      status?: string;
      version?: string;
      trigger?: string;
      /** `1h`, `30m`, an ISO date or epoch ms. */
      since?: string;
      until?: string;
      trace?: string;
      correlation?: string;
      before?: string;
      limit?: number;
    } = {},
  ): Promise<{ activations: Activation[]; next: string | null }> {
    return this.#call("GET", "/activations", q);
  }

  /** What functions cost: `by` is function, version, env, trigger or tag:KEY; `since`/`until` like `7d` or a date. */
  cost(q: { env?: string; by?: string; since?: string; until?: string } = {}): Promise<CostReport> {
    return this.#call("GET", "/cost", q);
  }

  /**
   * A function's series from its per-minute rollups. `since`/`until` like `1h` or a date; `step` a whole number of
   * minutes (`1m`, `5m`, `1h`, `1d`; default: the finest giving at most 1441 points); `version` one version only.
   */
  functionMetrics(
    name: string,
    q: { env?: string; since?: string; until?: string; step?: string; version?: string } = {},
  ): Promise<FunctionMetrics> {
    return this.#call("GET", `/functions/${enc(name)}/metrics`, q);
  }

  /** Every function's figures over the last `window` (`5m` by default) plus the current minute: what `pave top` shows. */
  metricsSummary(q: { env?: string; window?: string } = {}): Promise<MetricsSummary> {
    return this.#call("GET", "/metrics/summary", q);
  }

  getActivation(id: string): Promise<{ activation: ActivationDetail }> {
    return this.#call("GET", `/activations/${enc(id)}`);
  }

  /** One trace's spans (TraceNotFound until the first is recorded, a moment after its invocation ends). */
  getTrace(traceId: string): Promise<TraceAnswer> {
    return this.#call("GET", `/traces/${enc(traceId)}`);
  }

  logs(q: LogFilter = {}): Promise<{ logs: LogLine[]; cursor: number | null }> {
    return this.#call("GET", "/logs", q);
  }

  /**
   * Streams log lines (server-sent events) until `signal` aborts. When the connection drops — a server restart —
   * it reconnects from the last line seen, so nothing is missed or repeated.
   */
  async followLogs(
    q: LogFilter,
    onLine: (line: LogLine) => void,
    signal: AbortSignal,
    onReconnect?: (err: unknown) => void,
  ): Promise<void> {
    let after = q.after;
    while (!signal.aborted) {
      try {
        const res = await fetch(this.#url("/logs/stream", { ...q, ...(after !== undefined && { after }) }), {
          headers: this.#headers(),
          signal,
        });
        if (!res.ok || !res.body) throw await toApiError(res);
        const decoder = new TextDecoder();
        let buffer = "";
        for await (const chunk of res.body) {
          buffer += decoder.decode(chunk as Uint8Array, { stream: true });
          let end = buffer.indexOf("\n\n");
          while (end !== -1) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = event.split("\n").find((l) => l.startsWith("data: "));
            if (data) {
              const line = JSON.parse(data.slice(6)) as LogLine;
              after = line.id;
              onLine(line);
            }
            end = buffer.indexOf("\n\n");
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ApiError && err.status < 500) throw err;
        onReconnect?.(err);
      }
      if (!signal.aborted) await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** Sets a secret; the server seals it at once. `created` is false when an existing secret was replaced. */
  setSecret(
    name: string,
    value: string,
    env = "prod",
  ): Promise<{ name: string; env: string; created: boolean; updatedAt: number }> {
    return this.#call("PUT", `/secrets/${enc(name)}`, { env }, { value });
  }

  /** Secret names with their times; values never leave the server. */
  listSecrets(env = "prod"): Promise<{ secrets: SecretInfo[] }> {
    return this.#call("GET", "/secrets", { env });
  }

  deleteSecret(name: string, env = "prod"): Promise<{ deleted: boolean; name: string; env: string }> {
    return this.#call("DELETE", `/secrets/${enc(name)}`, { env });
  }

  /** One page of a kv namespace's live keys; pass the answer's `cursor` back for the next page. */
  listKvKeys(
    namespace: string,
    q: { env?: string; prefix?: string; cursor?: string; limit?: number } = {},
  ): Promise<KvListPage> {
    return this.#call("GET", `/kv/${enc(namespace)}/keys`, q);
  }

  /** One kv value as bytes, with its expiry. */
  async getKvValue(
    namespace: string,
    key: string,
    env = "prod",
  ): Promise<{ value: Uint8Array; expiresAt: number | null }> {
    const res = await this.#send("GET", kvPath(namespace, key), { env }, { headers: this.#headers() });
    const expires = res.headers.get("x-pave-expires-at");
    return { value: new Uint8Array(await res.arrayBuffer()), expiresAt: expires === null ? null : Number(expires) };
  }

  /** Writes one kv value (text is sent as UTF-8); `ttl` in seconds makes it expire. */
  async putKvValue(
    namespace: string,
    key: string,
    value: Uint8Array | string,
    opts: { env?: string; ttl?: number } = {},
  ): Promise<KvPutAnswer> {
    const body = typeof value === "string" ? new TextEncoder().encode(value) : value;
    const headers = { ...this.#headers(), "content-type": "application/octet-stream" };
    const res = await this.#send(
      "PUT",
      kvPath(namespace, key),
      { env: opts.env ?? "prod", ttl: opts.ttl },
      { headers, body },
    );
    return (await res.json()) as KvPutAnswer;
  }

  deleteKvValue(
    namespace: string,
    key: string,
    env = "prod",
  ): Promise<{ deleted: boolean; namespace: string; key: string; env: string }> {
    return this.#call("DELETE", kvPath(namespace, key), { env });
  }

  /** Creates a topic; `created` is false when it already existed. */
  createTopic(name: string, env = "prod"): Promise<{ created: boolean; topic: TopicRecord }> {
    return this.#call("POST", "/topics", { env }, { name });
  }

  listTopics(env = "prod"): Promise<{ topics: TopicSummary[] }> {
    return this.#call("GET", "/topics", { env });
  }

  /** Publishes one event (`data`) or a batch (`events`); resolves once they are committed, with their ids. */
  publish(
    topic: string,
    body: { data: unknown } | { events: { data: unknown }[] },
    opts: { env?: string; correlationId?: string } = {},
  ): Promise<{ id?: string; ids: string[] }> {
    const headers: Record<string, string> = opts.correlationId ? { "x-correlation-id": opts.correlationId } : {};
    return this.#call("POST", `/topics/${enc(topic)}/events`, { env: opts.env ?? "prod" }, body, headers);
  }

  getEvent(id: string): Promise<EventDetail> {
    return this.#call("GET", `/events/${enc(id)}`);
  }

  /** Queues an invocation; its result is read later from the activation. */
  invokeAsync(
    name: string,
    payload: unknown,
    opts: { env?: string; idempotencyKey?: string } = {},
  ): Promise<AsyncInvokeAnswer> {
    const headers: Record<string, string> = opts.idempotencyKey ? { "idempotency-key": opts.idempotencyKey } : {};
    const query = { env: opts.env ?? "prod", async: 1 };
    return this.#call("POST", `/functions/${enc(name)}/invocations`, query, payload ?? null, headers);
  }

  listDeadLetters(name: string, env = "prod", limit?: number): Promise<{ deadLetters: DeadLetter[] }> {
    return this.#call("GET", `/functions/${enc(name)}/dlq`, { env, limit });
  }

  /** Re-delivers dead letters: those of `ids` (event ids), or all of them. */
  replayDeadLetters(name: string, ids?: string[], env = "prod"): Promise<{ replayed: number }> {
    return this.#call("POST", `/functions/${enc(name)}/dlq/replay`, { env }, ids && ids.length > 0 ? { ids } : {});
  }

  purgeDeadLetters(name: string, env = "prod"): Promise<{ purged: number }> {
    return this.#call("DELETE", `/functions/${enc(name)}/dlq`, { env });
  }

  /** The kill switch: a paused function runs nothing; its events and async invocations wait for `resume`. */
  setPaused(
    name: string,
    paused: boolean,
    env = "prod",
  ): Promise<{ function: string; env: string; paused: boolean; changed: boolean }> {
    return this.#call("POST", `/functions/${enc(name)}/${paused ? "pause" : "resume"}`, { env });
  }

  /** Audit records, newest first; pass the answer's `next` back as `before` for the next page. */
  listAudit(q: AuditFilter & { before?: number; limit?: number } = {}): Promise<{
    records: AuditRecord[];
    next: number | null;
  }> {
    return this.#call("GET", "/audit", q);
  }

  /** Walks the whole audit chain on the server and reports the first broken record, if any. */
  verifyAudit(): Promise<AuditVerifyReport> {
    return this.#call("GET", "/audit/verify");
  }

  /** Matching audit records, oldest first, as a JSON Lines byte stream (read it as it comes; it may be large). */
  async exportAudit(q: AuditFilter = {}): Promise<ReadableStream<Uint8Array>> {
    const res = await this.#send("GET", "/audit/export", q, { headers: this.#headers() });
    if (!res.body) throw new ApiError("Internal", "the server sent no export body", res.status);
    return res.body;
  }

  /**
   * Creates a token; the answer's `token` is its secret, which the server never shows again. Without `envs` it gets
   * the calling token's scopes; `ttl` is a duration like `30d` (no expiry without it).
   */
  createToken(opts: {
    role: string;
    envs?: string[];
    ttl?: string;
    name?: string;
  }): Promise<TokenInfo & { token: string }> {
    return this.#call("POST", "/tokens", undefined, opts);
  }

  listTokens(): Promise<{ tokens: TokenInfo[] }> {
    return this.#call("GET", "/tokens");
  }

  revokeToken(id: string): Promise<TokenInfo & { revoked: true }> {
    return this.#call("DELETE", `/tokens/${enc(id)}`);
  }

  /** Scheduled functions: their cron, next fire time and last run. */
  listSchedules(env = "prod"): Promise<{ schedules: ScheduleSummary[] }> {
    return this.#call("GET", "/schedules", { env });
  }

  async health(): Promise<{ status: string; version: string }> {
    const res = await this.#fetch(`${this.url}/healthz`, { method: "GET" });
    return (await res.json()) as { status: string; version: string };
  }

  async #call<T>(
    method: string,
    path: string,
    query?: object,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const init: RequestInit = { headers: { ...this.#headers(body !== undefined), ...headers } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await this.#send(method, path, query, init);
    return (await res.json()) as T;
  }

  /** Sends a request to the API and returns the response when it is a success, or throws its ApiError. */
  async #send(method: string, path: string, query: object | undefined, init: RequestInit): Promise<Response> {
    const res = await this.#fetch(this.#url(path, query), { ...init, method });
    if (!res.ok) throw await toApiError(res);
    return res;
  }

  async #fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (err) {
      throw new ApiError(
        "Unreachable",
        `cannot reach the Pave server at ${this.url} (${(err as Error).cause ?? (err as Error).message}); is \`pave up\` running? Set --url or PAVE_URL`,
        0,
      );
    }
  }

  #headers(json = false): Record<string, string> {
    // Audit records say which client made a change.
    const h: Record<string, string> = { "user-agent": `pave/${VERSION}` };
    if (this.#token) h.authorization = `Bearer ${this.#token}`;
    if (json) h["content-type"] = "application/json";
    return h;
  }

  #url(path: string, query?: object): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null) qs.set(k, String(v));
    const s = qs.toString();
    return `${this.url}/api/v1${path}${s ? `?${s}` : ""}`;
  }
}

function live(answer: DeployAnswer | PendingDeployAnswer): DeployAnswer {
  if (!("pending" in answer)) return answer;
  const p = answer.pending;
  throw new ApiError("PendingApproval", `${p.function} is not live: ${waitingLine(p)}`, 202, { pending: p });
}

async function toApiError(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as {
      error?: { code?: string; message?: string; details?: Record<string, unknown> };
    };
    if (body.error?.code)
      return new ApiError(body.error.code, body.error.message ?? "", res.status, body.error.details);
  } catch {}
  return new ApiError("Internal", `the server answered ${res.status} ${res.statusText}`, res.status);
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

/**
 * The path of one kv entry. URLs resolve `.` and `..` segments (even percent-encoded), so those two keys cannot be
 * named in a path: refused here with the server's code rather than sent somewhere else.
 */
function kvPath(namespace: string, key: string): string {
  if (key === "." || key === "..") {
    throw new ApiError("KvKeyInvalid", `the kv key ${JSON.stringify(key)} cannot be addressed over HTTP`, 400);
  }
  return `/kv/${enc(namespace)}/values/${enc(key)}`;
}
