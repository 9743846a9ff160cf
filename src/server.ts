// The composition root of a pave node: opens the store, starts the runtime, wires gateway, control API and
// telemetry onto one port, joins the other nodes on the store, and shuts down in the order that loses nothing.
import { randomUUID } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import Fastify, { type FastifyBaseLogger, type FastifyReply } from "fastify";
import { registerApi } from "./api/index.ts";
import { Authenticator, BudgetGuard, createToken, PolicyBook, SecretBox } from "./auth/index.ts";
import { AliasControl, Approvals, type CanaryClock, CanaryControl, Deployer, Environments } from "./deploy/index.ts";
import { PaveError, toErrorBody } from "./errors.ts";
import { createGatewayHandler, Invoker, isGatewayPath } from "./gateway/index.ts";
import { createLogger, type Logger } from "./logger.ts";
import { changeApplier, provisionAll } from "./node-changes.ts";
import { AuditLog, SYSTEM_ACTOR } from "./ops/index.ts";
import { type BindingHost, Runtime } from "./runtime/index.ts";
import { type Change, type Cluster, defaultStoreUrl, openStore, type Store } from "./store/index.ts";
import { ActivationRecorder, DEFAULT_PRICES, Metrics, OtlpExport, type Prices } from "./telemetry/index.ts";
import { type ConsumerOptions, Consumers, Scheduler, type SchedulerClock } from "./triggers/index.ts";
import { VERSION } from "./version.ts";

export { VERSION };

/** How long change-feed rows are kept (see housekeeping). */
const CHANGES_KEPT_MS = 3_600_000;

export interface ServerOptions {
  /** @default "127.0.0.1" */
  host?: string;
  /** 0 picks a free port. @default 8700 */
  port?: number;
  /** Where the SQLite store and the admin token live. @default ".pave" */
  dataDir?: string;
  /** `sqlite:PATH` or `postgres://…`. @default sqlite:<dataDir>/pave.db */
  store?: string;
  /** Connections in the PostgreSQL store's pool (ignored for SQLite). @default 10 */
  storePool?: number;
  logger?: Logger;
  /** Largest function request body. @default 6 MiB */
  maxBodyBytes?: number;
  /** Largest control-API body (deploys carry bundles). @default 32 MiB */
  maxApiBodyBytes?: number;
  /** How long idle instances stay warm (functions without minInstances scale to zero after it). @default 300000 */
  idleTtlMs?: number;
  /**
   * The most memory instances may hold, in MB: the sum of their `memory` limits (see RuntimeOptions.memoryBudgetMb).
   * @default half of the host's memory
   */
  memoryBudgetMb?: number;
  /**
   * For `npm run bench` only: false runs invocations without recording them (no activations, logs, metrics or
   * spans), to measure what recording costs the gateway. Every other use keeps the default. @default true
   */
  record?: boolean;
  /** Where handlers run (see RuntimeOptions.inline). @default "never" */
  inline?: "auto" | "always" | "never";
  /** The process environment the node reads its settings from (`PAVE_MASTER_KEY`). @default process.env */
  env?: Record<string, string | undefined>;
  /** How often expired kv entries are deleted. @default 60000 */
  kvPurgeIntervalMs?: number;
  /**
   * How long activations and their logs are kept, and how many at most; and how long the per-minute rollups the
   * metrics API reads (small, so kept longer). Enforced in the background, as often as kv is purged.
   * @default { maxAgeMs: 30 days, maxActivations: 1000000, rollupMaxAgeMs: 90 days }
   */
  retention?: { maxAgeMs?: number; maxActivations?: number; rollupMaxAgeMs?: number };
  /** What `pave cost` prices usage at (USD). @default AWS Lambda's x86 on-demand price (see telemetry/cost.ts) */
  prices?: Partial<Prices>;
  /**
   * The clock housekeeping reads to expire environments (their TTL) and functions (their `expires:`); tests move it
   * on instead of sleeping. @default Date.now
   */
  now?: () => number;
  /** The scheduler's clock and pace (see SchedulerOptions); tests pass a clock they move on themselves. */
  scheduler?: { clock?: SchedulerClock; reloadIntervalMs?: number; missedAfterMs?: number };
  /**
   * Export spans over OTLP/HTTP to a collector (see docs/traces.md). @default the `PAVE_OTLP_ENDPOINT` of `env`, else
   * no export
   */
  otlp?: { endpoint: string; headers?: Record<string, string>; delayMs?: number; maxQueue?: number };
  /** The topic consumers' pace, backoff and claim margin (see ConsumerOptions); tests make them quick. */
  consumers?: Pick<
    ConsumerOptions,
    "clock" | "pollIntervalMs" | "backoff" | "visibilityMarginMs" | "asyncConcurrency" | "random"
  >;
  /** How often budget rules are checked against month-to-date cost, and pending deployments expired. @default 60000 */
  policyIntervalMs?: number;
  /** The canary analysis's clock and pace (see CanaryControlOptions); tests analyse every second. @default 5000 ms */
  canary?: { clock?: CanaryClock; intervalMs?: number };
  /**
   * How this node hears the other nodes' changes and takes the lead on PostgreSQL (see docs/operations.md, Many
   * nodes). `poll: true` reads the change log every `pollIntervalMs` instead of listening, for PgBouncer in
   * transaction mode; so does `PAVE_CHANGE_FEED=poll` in `env`.
   * @default { poll: false, pollIntervalMs: 500, leaderRetryMs: 1000 }
   */
  cluster?: { poll?: boolean; pollIntervalMs?: number; leaderRetryMs?: number };
}

export interface PaveServer {
  url: string;
  port: number;
  dataDir: string;
  /** The file holding the admin token in clear (mode 0600), for the local CLI. */
  adminTokenFile: string;
  /** The admin token, when this start created it or could read it. */
  adminToken: string | undefined;
  store: Store;
  /** This node's id among the nodes sharing the store (a fresh one per start). */
  node: string;
  /** The change feed this node hears and tells on, and whether it leads (runs the scheduler and housekeeping). */
  cluster: Cluster;
  runtime: Runtime;
  /** Seals and opens secret values under this node's master key; the runtime opens a function's secrets with it. */
  secretBox: SecretBox;
  /** Fires the functions' `schedule:` ticks. */
  scheduler: Scheduler;
  /** Runs one housekeeping pass now — what the timer does every `kvPurgeIntervalMs` — and resolves when it is done. */
  housekeep(): Promise<void>;
  /** Delivers topic events to subscribers and runs async invocations. */
  consumers: Consumers;
  /** Enforces budget rules; `refresh()` runs the pass the housekeeping runs every `policyIntervalMs`. */
  budget: BudgetGuard;
  /** Pending deployments; `expire()` runs the pass the housekeeping runs. */
  approvals: Approvals;
  /** Analyses running canaries and steps, promotes or rolls them back. */
  canaries: CanaryControl;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions = {}): Promise<PaveServer> {
  const logger = options.logger ?? createLogger();
  const dataDir = resolve(options.dataDir ?? ".pave");
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const env = options.env ?? process.env;
  const otlp = otlpOptions(options.otlp, env);
  const store = await openStore(options.store ?? defaultStoreUrl(dataDir), {
    server: true,
    ...(options.storePool !== undefined && { pgPool: options.storePool }),
  });
  // What a failed start must undo, newest first (a port in use, a database gone mid-start): connections, threads and
  // timers would otherwise outlive the error in a process that embeds Pave or tries again.
  const started: (() => unknown)[] = [() => store.close()];
  const starting = async <T>(step: Promise<T>): Promise<T> => {
    try {
      return await step;
    } catch (err) {
      for (const undo of started.reverse())
        await Promise.resolve()
          .then(undo)
          .catch(() => {});
      throw err;
    }
  };
  const secretBox = await starting(SecretBox.load({ env, dataDir }));
  const audit = new AuditLog(store);
  const node = randomUUID();
  const cluster = store.cluster({
    node,
    logger,
    poll: options.cluster?.poll ?? env.PAVE_CHANGE_FEED === "poll",
    ...(options.cluster?.pollIntervalMs !== undefined && { pollIntervalMs: options.cluster.pollIntervalMs }),
    ...(options.cluster?.leaderRetryMs !== undefined && { leaderRetryMs: options.cluster.leaderRetryMs }),
  });
  const adminTokenFile = join(dataDir, "admin-token");
  started.push(
    () => cluster.changes.close(),
    () => cluster.leader.close(),
  );
  const adminToken = await starting(ensureAdminToken(store, audit, adminTokenFile, logger));

  // The runtime serves bindings through the store and the invoker, which itself needs the runtime: tie the knot late.
  let invoker: Invoker | undefined;
  let consumers: Consumers | undefined;
  const bindings: BindingHost = {
    kvGet: (...a) => store.kvGet(...a),
    kvPut: (...a) => store.kvPut(...a),
    kvDelete: (...a) => store.kvDelete(...a),
    kvList: (...a) => store.kvList(...a),
    secrets: (env, names) => openSecrets(store, secretBox, env, names),
    callService: (call) => invoker!.invokeService(call),
    publishEvents: async (env, topic, events) => {
      await store.publishEvents(env, topic, events);
      consumers?.wake(env, topic);
    },
  };
  const runtime = await starting(
    Runtime.start({
      idleTtlMs: options.idleTtlMs ?? 300_000,
      ...(options.memoryBudgetMb !== undefined && { memoryBudgetMb: options.memoryBudgetMb }),
      ...(options.inline !== undefined && { inline: options.inline }),
      bindings,
    }),
  );
  started.push(() => runtime.close());
  const exporter = otlp && new OtlpExport({ ...otlp, version: VERSION }, logger.child({ component: "otlp" }));
  const recorder = new ActivationRecorder(store, logger, { ...(exporter && { exporter }) });
  const metrics = new Metrics(() => runtime.stats());
  const prices = { ...DEFAULT_PRICES, ...options.prices };
  const policies = new PolicyBook(store);
  const budget = new BudgetGuard({ store, policies, audit, prices, logger });
  // Throttles survive restarts and come from other nodes too: the map is loaded before the first request.
  await starting(budget.refresh());
  invoker = new Invoker({
    store,
    runtime,
    recorder,
    logger,
    metrics,
    record: options.record ?? true,
    refuse: (env, name) => budget.refusal(env, name),
  });
  // Only the leader fires schedules; on SQLite this node is the only one and leads from the start.
  const scheduler = new Scheduler({
    store,
    invoker,
    logger,
    metrics,
    leading: cluster.leader.leading,
    ...options.scheduler,
  });
  consumers = new Consumers({ store, invoker, logger, metrics, ...options.consumers });
  metrics.watchBacklog(() => store.deliveryBacklog());
  metrics.watchLeader(() => cluster.leader.leading);
  const auth = new Authenticator(store);
  const { apply, provision } = changeApplier({ store, invoker, runtime, scheduler, consumers, budget, auth, logger });
  /**
   * A change made through this node: applied here (awaited: a deploy's answer means its schedule is armed) and
   * announced, so every other node applies it too within a second.
   */
  const changed = async (change: Change) => {
    await Promise.all([apply(change), cluster.changes.announce(change)]);
  };
  cluster.changes.subscribe(apply);
  cluster.leader.onChange((leading) => {
    void scheduler.lead(leading);
  });
  const aliasMoved = (env: string, name: string) => changed({ kind: "alias", env, function: name });
  const removed = (env: string, name: string) => changed({ kind: "function-removed", env, function: name });
  const deployer = new Deployer({
    store,
    prepare: (code) => runtime.prepare(code),
    onDeployed: (env, name) => aliasMoved(env, name),
  });
  const aliases = new AliasControl({ store, onMoved: aliasMoved });
  // On SQLite there is one node; with several, each evaluation is claimed on the canary row, so one node acts.
  const canaries = new CanaryControl({ store, aliases, audit, logger, ...options.canary });
  const approvals = new Approvals({ store, deployer, policies });
  const environments = new Environments({
    store,
    audit,
    logger,
    onCreated: (env) => changed({ kind: "environment-created", env }),
    onRemoved: removed,
  });
  // The gateway serves prod; other environments are invoked through the control API (`?env=`).
  const gateway = createGatewayHandler(invoker, logger, {
    env: "prod",
    maxBodyBytes: options.maxBodyBytes ?? 6 * 1024 * 1024,
  });

  let ready = false;
  let server: Server | undefined;
  const app = Fastify({
    // Per-request lines would drown the log; the API logs warnings and failures only.
    loggerInstance: logger.child({ component: "api" }, { level: "warn" }) as FastifyBaseLogger,
    // kv keys travel in the path: up to 512 bytes of UTF-8, so up to 1536 characters once percent-encoded.
    routerOptions: { maxParamLength: 2048 },
    // A path whose percent-escapes are not UTF-8 (`%FF`) fails before routing; answer it in our error shape too.
    frameworkErrors: (err, _request, reply) => {
      const { status, body } = toErrorBody(
        err.code === "FST_ERR_BAD_URL"
          ? new PaveError("BadRequest", "the URL path has a percent-escape that is malformed or not UTF-8")
          : new PaveError("BadRequest", err.message),
      );
      void (reply as FastifyReply).code(status).send(body);
    },
    bodyLimit: options.maxApiBodyBytes ?? 32 * 1024 * 1024,
    serverFactory: (handler) => {
      // One port: the data plane goes straight to the gateway, everything else through fastify.
      server = createServer((req: IncomingMessage, res: ServerResponse) => {
        if (isGatewayPath(req.url ?? "/")) gateway(req, res);
        else handler(req, res);
      });
      return server;
    },
  });
  app.get("/healthz", async () => ({ status: "ok", version: VERSION }));
  app.get("/readyz", async (_req, reply) => {
    try {
      if (!ready) throw new Error("starting or stopping");
      await store.ping();
      // Which node this is and whether it leads, so an operator sees the leader behind a load balancer.
      return { status: "ready", node, leader: cluster.leader.leading, changes: cluster.changes.mode };
    } catch (err) {
      return reply.code(503).send({ error: { code: "NotReady", message: (err as Error).message } });
    }
  });
  const shutdown = new AbortController();
  registerApi(
    app,
    {
      store,
      auth,
      secretBox,
      deployer,
      aliases,
      environments,
      canaries,
      invoker,
      onRemoved: removed,
      onPublished: (env, queue) => consumers.wake(env, queue),
      onPauseChanged: (env, name, queues) => changed({ kind: "pause", env, function: name, queues }),
      onSecretChanged: (env, secret) => changed({ kind: "secret", env, secret }),
      onTokenRevoked: (hash) => changed({ kind: "token", hash }),
      onPolicyChanged: (env) => changed({ kind: "policy", env }),
      shutdown: shutdown.signal,
      metrics,
      prices,
      audit,
      policies,
      approvals,
      budget,
    },
    logger,
    VERSION,
  );

  // Hear changes from here on: what was changed before is in what this node reads fresh below and on demand.
  started.push(() => app.close());
  await starting(cluster.changes.start());
  // Serve once the functions that keep instances warm have them, as they did after their deploy.
  await starting(provisionAll(store, provision));
  await starting(app.listen({ host: options.host ?? "127.0.0.1", port: options.port ?? 8700 }));
  const port = (app.server.address() as AddressInfo).port;
  ready = true;
  const url = `http://${options.host ?? "127.0.0.1"}:${port}`;
  logger.info({ url, dataDir, store: store.kind, masterKey: secretBox.source, keyId: secretBox.keyId }, "pave is up");
  const retention = {
    maxAgeMs: 30 * 86_400_000,
    maxActivations: 1_000_000,
    rollupMaxAgeMs: 90 * 86_400_000,
    ...options.retention,
  };
  const clock = options.now ?? Date.now;
  // Cluster-wide chores run on the leader only: one node purges, expires and prices budgets for all.
  const leading = () => cluster.leader.leading;
  const purger = startHousekeeping(
    store,
    logger,
    options.kvPurgeIntervalMs ?? 60_000,
    retention,
    (now) => environments.expire(now),
    clock,
    leading,
  );
  const guard = startPolicyPass(approvals, budget, audit, logger, options.policyIntervalMs ?? 60_000, {
    leading,
    throttlesChanged: () => cluster.changes.announce({ kind: "budget" }),
  });
  started.push(
    () => purger.stop(),
    () => guard.stop(),
    () => scheduler.stop(),
    () => consumers?.stop(),
  );
  cluster.leader.start();
  await starting(scheduler.start());
  await starting(consumers.start());
  canaries.start();

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    dataDir,
    adminTokenFile,
    adminToken,
    store,
    node,
    cluster,
    runtime,
    secretBox,
    scheduler,
    housekeep: () => purger.runNow(clock()),
    consumers,
    budget,
    approvals,
    canaries,
    close: () => {
      closing ??= (async () => {
        ready = false;
        // Stop accepting, let in-flight requests finish, wait for invocations that outlive their response
        // (waitUntil) to be recorded, then commit every recorded activation before closing.
        shutdown.abort();
        // No tick fires from here on; the runs already going end (and are recorded) before the runtime closes.
        await scheduler.stop();
        // Another node takes the lead at once, and this one stops hearing changes it will not serve.
        await cluster.leader.close();
        await cluster.changes.close();
        // Nothing more is claimed; batches running end (and are acked) first. A claim left unfinished by a crash
        // comes back when its visibility runs out.
        await consumers.stop();
        // Nor does any canary move: an analysis under way finishes first.
        await canaries.stop();
        server?.closeIdleConnections();
        await app.close();
        await invoker.drain();
        await recorder.close();
        await exporter?.shutdown();
        await purger.stop();
        await guard.stop();
        runtime.close();
        await store.close();
      })();
      return closing;
    },
  };
}

/** The OTLP export's settings: the option, else `PAVE_OTLP_ENDPOINT`; a malformed endpoint refuses the start. */
function otlpOptions(
  option: ServerOptions["otlp"],
  env: Record<string, string | undefined>,
): ServerOptions["otlp"] | undefined {
  const endpoint = option?.endpoint ?? env.PAVE_OTLP_ENDPOINT;
  if (!endpoint) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {}
  if (url?.protocol !== "http:" && url?.protocol !== "https:") {
    throw new PaveError(
      "InvalidConfig",
      `the OTLP endpoint ${endpoint} is not an http(s) URL, e.g. http://127.0.0.1:4318`,
    );
  }
  return { ...option, endpoint };
}

/**
 * Now and then: deletes expired kv entries (reads already hide them), activations and rollups past the
 * retention policy, change-feed rows past an hour, and tears down expired environments and functions (`expire`, given
 * the clock's now). The timer acts only while `leading`; `runNow` always does. An unref'd timer never holds the
 * process open; a failure is logged and retried on the next tick.
 */
function startHousekeeping(
  store: Store,
  logger: Logger,
  intervalMs: number,
  retention: { maxAgeMs: number; maxActivations: number; rollupMaxAgeMs: number },
  expire: (now: number) => Promise<unknown>,
  clock: () => number,
  leading: () => boolean,
): { stop(): Promise<void>; runNow(now: number): Promise<void> } {
  let running: Promise<void> | undefined;
  const tick = async (now = clock()) => {
    // First, so a failure below cannot keep an expired environment alive.
    await expire(now);
    const purged = await store.purgeExpiredKv(Date.now());
    if (purged > 0) logger.debug({ purged }, "purged expired kv entries");
    const pruned = await store.pruneActivations({
      before: Date.now() - retention.maxAgeMs,
      keep: retention.maxActivations,
    });
    if (pruned.activations > 0) logger.info(pruned, "pruned activations past the retention policy");
    const deliveries = await store.pruneDeliveries(Date.now() - retention.maxAgeMs);
    if (deliveries > 0) logger.info({ deliveries }, "pruned acked deliveries past the retention policy");
    const rollups = await store.pruneRollups(Date.now() - retention.rollupMaxAgeMs);
    if (rollups > 0) logger.info({ rollups }, "pruned per-minute rollups past their retention");
    // Nodes read only the last seconds of the change log; an hour is kept for whoever investigates.
    await store.pruneChanges(Date.now() - CHANGES_KEPT_MS);
  };
  const start = (now?: number) => {
    running = tick(now)
      .catch((err: unknown) => logger.warn({ err }, "housekeeping failed; retrying on the next tick"))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => {
    if (!running && leading()) void start();
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
    // Waits for a pass already going, then runs one of its own: its caller sees everything due at `now` done.
    async runNow(now: number) {
      while (running) await running;
      await start(now);
    },
  };
}

/**
 * Every `intervalMs`, on the leader: expires pending deployments nobody decided on (audited as `system`) and re-checks
 * budget rules against month-to-date cost, telling the other nodes when throttles changed. Like housekeeping: an
 * unref'd timer, failures logged and retried on the next tick.
 */
function startPolicyPass(
  approvals: Approvals,
  budget: BudgetGuard,
  audit: AuditLog,
  logger: Logger,
  intervalMs: number,
  cluster: { leading: () => boolean; throttlesChanged: () => Promise<void> },
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const tick = async () => {
    for (const p of await approvals.expire()) {
      await audit.record({
        action: "approval.expire",
        actor: SYSTEM_ACTOR,
        env: p.env,
        function: p.function,
        target: p.id,
        before: { status: "pending", requestedBy: p.requestedBy },
        after: { status: p.status },
      });
    }
    if (await budget.refresh()) await cluster.throttlesChanged();
  };
  const timer = setInterval(() => {
    if (running || !cluster.leading()) return;
    running = tick()
      .catch((err: unknown) => logger.warn({ err }, "the policy pass failed; retrying on the next tick"))
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** On first start, creates the admin token and writes it (0600) for the local CLI; later starts read it back. */
async function ensureAdminToken(
  store: Store,
  audit: AuditLog,
  file: string,
  logger: Logger,
): Promise<string | undefined> {
  if ((await store.countTokens()) === 0) {
    const { token, record } = await createToken(store, { name: "admin", role: "admin", now: Date.now() });
    await audit.record({
      action: "token.create",
      actor: SYSTEM_ACTOR,
      target: record.name,
      after: { id: record.id, name: record.name, role: record.role, expiresAt: record.expiresAt },
      details: { reason: "the first start creates the admin token" },
    });
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    return token;
  }
  try {
    return (await readFile(file, "utf8")).trim();
  } catch {
    logger.warn({ file }, "the admin token file is gone; use a token you kept, or start with a fresh data directory");
    return undefined;
  }
}

/** The named secrets of an environment, decrypted, for a new instance of a function that lists them. */
async function openSecrets(store: Store, box: SecretBox, env: string, names: string[]): Promise<Map<string, string>> {
  const sealed = await store.getSecrets(env, names);
  return new Map([...sealed].map(([name, s]) => [name, box.open(env, name, s)]));
}
