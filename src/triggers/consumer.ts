// Delivers topic events to their subscribers and runs async invocations: per subscription a lane that claims
// batches from the store, invokes the function and acks, retries (with backoff) or dead-letters each message.
import { v7 as uuidv7 } from "uuid";
import type { Manifest } from "../deploy/index.ts";
import { PaveError } from "../errors.ts";
import type { Invoker } from "../gateway/index.ts";
import { InFlight } from "../in-flight.ts";
import type { Logger } from "../logger.ts";
import { Reloader } from "../reloader.ts";
import type { QueueVerdict } from "../runtime/index.ts";
import {
  ASYNC_QUEUE,
  type ClaimedDelivery,
  type DeliveryOutcome,
  idTime,
  ownSpanId,
  type Store,
  type SubscriptionSpec,
} from "../store/index.ts";
import { type Metrics, newActivationIds, newSpanId } from "../telemetry/index.ts";
import { type BackoffPolicy, backoffMs, DEFAULT_BACKOFF } from "./backoff.ts";
import { type SchedulerClock, systemClock } from "./scheduler.ts";

export interface ConsumerOptions {
  store: Store;
  invoker: Pick<Invoker, "invokeQueue" | "invokeDirect">;
  logger: Logger;
  metrics?: Pick<Metrics, "delivered">;
  /** @default systemClock */
  clock?: SchedulerClock;
  /**
   * How often lanes look for work they were not woken for: retries coming due, claims of a dead node coming back,
   * events published through other nodes. @default 1000
   */
  pollIntervalMs?: number;
  /** @default DEFAULT_BACKOFF (1 s doubling to 5 min) */
  backoff?: Partial<BackoffPolicy>;
  /** A claim holds for the function's timeout plus this, so a live node always finishes first. @default 10000 */
  visibilityMarginMs?: number;
  /** Async invocations run at once on this node, across functions. @default 16 */
  asyncConcurrency?: number;
  /** @default Math.random */
  random?: () => number;
}

/** How soon a batch handed back uncounted (paused, throttled, no room) is tried again. */
const RELEASE_DELAY_MS = 1000;
/** Errors that mean the function never ran: the claim goes back without spending an attempt. */
const REFUSALS = new Set(["FunctionPaused", "Throttled", "CapacityExceeded"]);

/** One subscription's (or the async queue's) claimer on this node. */
interface Lane {
  env?: string;
  function?: string;
  queue: string;
  batchSize: number;
  maxConcurrency: number;
  maxRetries: number;
  timeoutMs: number;
  inflight: number;
  pumping: boolean;
  again: boolean;
}

const laneKey = (env: string | undefined, fn: string | undefined, queue: string) => `${env}\0${fn}\0${queue}`;

export class Consumers {
  readonly #store: Store;
  readonly #invoker: ConsumerOptions["invoker"];
  readonly #logger: Logger;
  readonly #metrics: ConsumerOptions["metrics"];
  readonly #clock: SchedulerClock;
  readonly #pollIntervalMs: number;
  readonly #backoff: BackoffPolicy;
  readonly #marginMs: number;
  readonly #random: () => number;
  readonly #async: Lane;
  #lanes = new Map<string, Lane>();
  #timer: unknown;
  readonly #reloader = new Reloader(
    () => this.#load(),
    (err) => this.#logger.warn({ err }, "loading subscriptions failed; retrying on the next reload"),
  );
  readonly #running = new InFlight();
  #stopped = false;

  constructor(options: ConsumerOptions) {
    this.#store = options.store;
    this.#invoker = options.invoker;
    this.#logger = options.logger.child({ component: "consumers" });
    this.#metrics = options.metrics;
    this.#clock = options.clock ?? systemClock;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#marginMs = options.visibilityMarginMs ?? 10_000;
    this.#random = options.random ?? Math.random;
    const n = options.asyncConcurrency ?? 16;
    // Async invocations are claimed across functions: one lane, one message per run (maxRetries: none — a function
    // error is the activation's result, read by the caller; only a run that never ended is tried again).
    this.#async = { queue: ASYNC_QUEUE, batchSize: n, maxConcurrency: n, maxRetries: 0, timeoutMs: 10_000, ...idle() };
  }

  /** Syncs subscriptions from the live manifests and starts polling. */
  async start(): Promise<void> {
    await this.reload();
    this.#arm();
  }

  /**
   * Re-reads the live manifests (after a deploy or removal): stores their subscriptions, so publishes fan out to
   * them from now on, and rebuilds the lanes. Never rejects; calls during a reload share one follow-up.
   */
  reload(): Promise<void> {
    return this.#reloader.reload();
  }

  /** Events were just committed on this node: their subscribers' lanes claim now instead of at the next poll. */
  wake(env: string, queue: string): void {
    for (const lane of this.#lanes.values()) if (lane.env === env && lane.queue === queue) this.#pump(lane);
    if (queue === ASYNC_QUEUE) this.#pump(this.#async);
  }

  /** Resolves once every batch started so far has run and been acked, retried or dead-lettered. */
  settled(): Promise<void> {
    return this.#running.idle();
  }

  /** Claims nothing more and waits for the batches already running (they end within their timeout). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
    await this.#reloader.stop();
    await this.settled();
  }

  async #load(): Promise<void> {
    const now = this.#clock.now();
    const lanes = new Map<string, Lane>();
    let longest = 0;
    for (const env of await this.#store.listEnvironments()) {
      const stored = await this.#store.listSubscriptions(env);
      for (const fn of await this.#store.listFunctions(env)) {
        if (fn.manifest === null) continue;
        const m = JSON.parse(fn.manifest) as Manifest;
        longest = Math.max(longest, m.timeout);
        const wanted: SubscriptionSpec[] = (m.subscriptions ?? []).map((s) => ({
          env,
          function: fn.name,
          topic: s.topic,
          batchSize: s.batchSize,
          maxConcurrency: s.maxConcurrency,
          maxRetries: s.maxRetries,
          filter: s.filter ?? null,
        }));
        const have = stored.filter((s) => s.function === fn.name);
        if (JSON.stringify(have) !== JSON.stringify(wanted)) {
          await this.#store.putSubscriptions(env, fn.name, wanted, now);
        }
        for (const s of wanted) {
          const key = laneKey(env, fn.name, s.topic);
          const lane: Lane = {
            env,
            function: fn.name,
            queue: s.topic,
            batchSize: s.batchSize,
            // The function's own limit bounds its batches too; the runtime throttles beyond it anyway.
            maxConcurrency: Math.min(s.maxConcurrency, m.concurrency),
            maxRetries: s.maxRetries,
            timeoutMs: m.timeout,
            ...idle(),
          };
          const before = this.#lanes.get(key);
          // Keep the running lane's counters: its batches in flight still count against the new limit.
          lanes.set(key, before ? Object.assign(before, { ...lane, ...counters(before) }) : lane);
        }
      }
    }
    // An async run may be any function's: its claim must outlast the slowest of them.
    this.#async.timeoutMs = Math.max(longest, 1000);
    this.#lanes = lanes;
  }

  /** One timer for every lane: each poll gives every lane a chance to claim. */
  #arm(): void {
    if (this.#stopped) return;
    this.#timer = this.#clock.setTimeout(() => {
      for (const lane of this.#lanes.values()) this.#pump(lane);
      this.#pump(this.#async);
      this.#arm();
    }, this.#pollIntervalMs);
  }

  /** Claims batches while the lane has room and the store has work; each batch runs on its own. */
  #pump(lane: Lane): void {
    if (this.#stopped) return;
    if (lane.pumping) {
      lane.again = true;
      return;
    }
    lane.pumping = true;
    const run = async () => {
      do {
        lane.again = false;
        while (!this.#stopped && lane.inflight < lane.maxConcurrency) {
          const now = this.#clock.now();
          const claim = uuidv7();
          const async = lane.queue === ASYNC_QUEUE;
          const batch = await this.#store.claimDeliveries({
            ...(lane.env !== undefined && { env: lane.env }),
            ...(lane.function !== undefined && { function: lane.function }),
            queue: lane.queue,
            limit: async ? lane.maxConcurrency - lane.inflight : lane.batchSize,
            now,
            visibleUntil: now + lane.timeoutMs + this.#marginMs,
            claim,
          });
          if (batch.length === 0) break;
          if (async) {
            for (const d of batch) this.#start(lane, this.#runAsync(claim, d));
          } else {
            this.#start(lane, this.#runBatch(lane, claim, batch));
          }
        }
      } while (lane.again && !this.#stopped);
    };
    void run()
      .catch((err: unknown) => this.#logger.warn({ err, queue: lane.queue }, "claiming deliveries failed"))
      .finally(() => {
        lane.pumping = false;
      });
  }

  #start(lane: Lane, work: Promise<void>): void {
    lane.inflight++;
    const tracked = work
      .catch((err: unknown) => this.#logger.error({ err, queue: lane.queue }, "a delivery run failed"))
      .finally(() => {
        lane.inflight--;
        // Room again: claim the next batch now rather than at the next poll.
        this.#pump(lane);
      });
    this.#running.track(tracked);
  }

  async #runBatch(lane: Lane, claim: string, batch: ClaimedDelivery[]): Promise<void> {
    const env = lane.env as string;
    const fn = lane.function as string;
    const first = (batch[0] as ClaimedDelivery).event;
    const [activationId, ownTraceId, ownSpanId] = newActivationIds();
    // A batch runs as one activation: it carries its first event's trace and correlation ids (each event keeps
    // its own, shown by `pave event ID`).
    const ids = {
      activationId,
      traceId: first.traceId || ownTraceId,
      // The consumer's span is the child of the first event's publish span: the trace runs producer → consumer.
      spanId: ownSpanId,
      parentSpanId: first.spanId ?? null,
      traceState: undefined,
      correlationId: first.correlationId || first.id,
    };
    const messages = batch.map((d) => ({
      id: d.eventId,
      timestamp: d.event.publishedAt,
      body: d.event.payload,
      attempts: d.attempts,
    }));
    let retry: Map<string, number | undefined>;
    let error = "";
    try {
      const out = await this.#invoker.invokeQueue(env, fn, { queue: lane.queue, messages }, ids);
      const r = out.result;
      if (r.kind === "value") {
        const verdict = r.value as QueueVerdict;
        retry = new Map(verdict.retry.map((x) => [x.id, x.delaySeconds]));
        error = "the handler asked for a retry";
      } else {
        retry = new Map(messages.map((m) => [m.id, undefined]));
        error = r.kind === "error" ? `${r.code}: ${r.message}` : "the handler gave no verdict";
      }
    } catch (err) {
      if (err instanceof PaveError && REFUSALS.has(err.code)) {
        await this.#release(claim, batch, RELEASE_DELAY_MS);
        return;
      }
      retry = new Map(messages.map((m) => [m.id, undefined]));
      error = err instanceof PaveError ? `${err.code}: ${err.message}` : String(err);
    }
    const now = this.#clock.now();
    const outcomes: DeliveryOutcome[] = batch.map((d) => {
      if (!retry.has(d.eventId)) return { id: d.id, outcome: "ack", activationId };
      if (d.attempts > lane.maxRetries) return { id: d.id, outcome: "dead", activationId, error };
      const delaySeconds = retry.get(d.eventId);
      const delay =
        delaySeconds !== undefined ? delaySeconds * 1000 : backoffMs(this.#backoff, d.attempts, this.#random);
      return { id: d.id, outcome: "retry", activationId, error, visibleAt: now + delay };
    });
    await this.#finish(claim, outcomes, env, fn, lane.queue);
  }

  async #runAsync(claim: string, d: ClaimedDelivery): Promise<void> {
    // Ran before, and its activation is on the record: the node died between the run and the ack. Never twice.
    if (await this.#store.getActivation(d.id)) {
      await this.#finish(claim, [{ id: d.id, outcome: "ack", activationId: d.id }], d.env, d.function, d.queue);
      return;
    }
    const ids = {
      activationId: d.id,
      traceId: d.event.traceId || d.id.replaceAll("-", ""),
      // As invokeIds gave it when the invocation was queued (the response's traceparent names it): the id's own.
      spanId: Number.isNaN(idTime(d.id)) ? newSpanId() : ownSpanId(d.id),
      parentSpanId: d.event.spanId ?? null,
      traceState: undefined,
      correlationId: d.event.correlationId || d.id,
      retriedOnRefusal: true,
    };
    let outcome: DeliveryOutcome;
    try {
      const out = await this.#invoker.invokeDirect(d.env, d.function, JSON.parse(d.event.payload), ids);
      // Acked once its activation is handed to the recorder: the result is read from there.
      await out.finished;
      outcome = { id: d.id, outcome: "ack", activationId: d.id };
    } catch (err) {
      if (err instanceof PaveError && REFUSALS.has(err.code)) {
        await this.#release(claim, [d], RELEASE_DELAY_MS);
        return;
      }
      const error = err instanceof PaveError ? `${err.code}: ${err.message}` : String(err);
      outcome = { id: d.id, outcome: "dead", activationId: d.id, error };
    }
    await this.#finish(claim, [outcome], d.env, d.function, d.queue);
  }

  async #release(claim: string, batch: ClaimedDelivery[], delayMs: number): Promise<void> {
    const visibleAt = this.#clock.now() + delayMs;
    await this.#finish(
      claim,
      batch.map((d) => ({ id: d.id, outcome: "release", visibleAt })),
      batch[0]?.env ?? "",
      batch[0]?.function ?? "",
      batch[0]?.queue ?? "",
    );
  }

  async #finish(claim: string, outcomes: DeliveryOutcome[], env: string, fn: string, queue: string): Promise<void> {
    try {
      await this.#store.finishDeliveries(claim, outcomes, this.#clock.now());
    } catch (err) {
      // The claim runs out and the deliveries come back: at least once, never lost.
      this.#logger.warn({ err, env, function: fn, queue }, "finishing deliveries failed; they will be delivered again");
      return;
    }
    if (!this.#metrics) return;
    const counts = new Map<string, number>();
    for (const o of outcomes) counts.set(o.outcome, (counts.get(o.outcome) ?? 0) + 1);
    for (const [outcome, n] of counts)
      this.#metrics.delivered(env, fn, queue, outcome as DeliveryOutcome["outcome"], n);
  }
}

function idle(): Pick<Lane, "inflight" | "pumping" | "again"> {
  return { inflight: 0, pumping: false, again: false };
}

function counters(lane: Lane): Pick<Lane, "inflight" | "pumping" | "again"> {
  return { inflight: lane.inflight, pumping: lane.pumping, again: lane.again };
}
