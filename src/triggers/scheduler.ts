// Fires the `schedule:` of every live function: one timer for the next tick due across all of them. With several nodes
// only the leader fires, and each tick is claimed in the store first (compare-and-set), so exactly one node fires it.
import { type Manifest, normaliseSchedule, type ScheduleTimes, scheduleTimes } from "../deploy/index.ts";
import type { Invoker } from "../gateway/index.ts";
import { InFlight } from "../in-flight.ts";
import type { Logger } from "../logger.ts";
import { Reloader } from "../reloader.ts";
import type { ScheduleSpec, Store } from "../store/index.ts";
import { type Metrics, newActivationIds } from "../telemetry/index.ts";

/** Time as the scheduler sees it; injected so tests move it on without sleeping. */
export interface SchedulerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock; its timer never holds the process open. */
export const systemClock: SchedulerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface SchedulerOptions {
  store: Store;
  invoker: Pick<Invoker, "invokeScheduled">;
  logger: Logger;
  metrics?: Pick<Metrics, "scheduleSkipped">;
  /** @default systemClock */
  clock?: SchedulerClock;
  /**
   * How often schedules are re-read from the store: a safety net, as deploys through other nodes arrive on the change
   * feed within a second. @default 30000
   */
  reloadIntervalMs?: number;
  /** A tick handled later than this after its time counts as missed (the `missed` policy applies). @default 5000 */
  missedAfterMs?: number;
  /** Whether this node fires ticks from the start (see `lead`). @default true */
  leading?: boolean;
}

/** A run's lease lasts its timeout plus this, so a node that died mid-run blocks overlap only that long. */
const LEASE_GRACE_MS = 10_000;
/** Stored as the next fire time of a pattern with no tick left (it can only come from a date-bound pattern). */
const NEVER = Number.MAX_SAFE_INTEGER;

interface Entry {
  spec: ScheduleSpec;
  times: ScheduleTimes;
  timeoutMs: number;
  /** The next tick to handle on this node. */
  next: number;
}

const keyOf = (env: string, fn: string) => `${env}\0${fn}`;

export class Scheduler {
  readonly #store: Store;
  readonly #invoker: Pick<Invoker, "invokeScheduled">;
  readonly #logger: Logger;
  readonly #metrics: Pick<Metrics, "scheduleSkipped"> | undefined;
  readonly #clock: SchedulerClock;
  readonly #reloadIntervalMs: number;
  readonly #missedAfterMs: number;
  #entries = new Map<string, Entry>();
  #timer: unknown;
  #lastReload = 0;
  /** Re-reads the live schedules; a burst of deploys shares one read and one follow-up (see reloader.ts). */
  readonly #reloader = new Reloader(
    () => this.#load(),
    (err) => this.#logger.warn({ err }, "loading schedules failed; retrying on the next reload"),
    () => this.#arm(),
  );
  /** Ticks being claimed or run on this node. */
  readonly #inflight = new InFlight();
  #stopped = false;
  #leading: boolean;

  constructor(options: SchedulerOptions) {
    this.#store = options.store;
    this.#invoker = options.invoker;
    this.#logger = options.logger.child({ component: "scheduler" });
    this.#metrics = options.metrics;
    this.#clock = options.clock ?? systemClock;
    this.#reloadIntervalMs = options.reloadIntervalMs ?? 30_000;
    this.#missedAfterMs = options.missedAfterMs ?? 5000;
    this.#leading = options.leading ?? true;
  }

  /** Loads the schedules and arms the timer; ticks missed while no node ran are handled by their `missed` policy. */
  start(): Promise<void> {
    return this.reload();
  }

  /**
   * Re-reads the schedules of live versions (after a deploy or removal). Never rejects: a failure is logged and the
   * next reload tries again. Calls during a reload share one follow-up reload.
   */
  reload(): Promise<void> {
    return this.#reloader.reload();
  }

  /**
   * Whether this node fires ticks: with several nodes only the leader does. Losing the lead stops firing at once (runs
   * already going finish; a tick claimed meanwhile by the new leader is not fired twice: the claim is the guard);
   * taking it re-reads the schedules and arms the timer, so ticks missed during a failover follow their `missed`.
   */
  lead(leading: boolean): Promise<void> {
    this.#leading = leading;
    if (leading) return this.reload();
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    return Promise.resolve();
  }

  /** Resolves once every tick taken so far has been claimed and, if it fired, has run and been recorded. */
  settled(): Promise<void> {
    return this.#inflight.idle();
  }

  /** Fires nothing more, and waits for the runs already started (they end within their timeout). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
    await this.#reloader.stop();
    await this.settled();
  }

  async #load(): Promise<void> {
    const now = this.#clock.now();
    this.#lastReload = now;
    // Rows before functions: a row put after a concurrent deploy is then read with that deploy's function, never
    // deleted as orphaned.
    const rows = await this.#store.listSchedules();
    const wanted = new Map<string, { spec: ScheduleSpec; times: ScheduleTimes; timeoutMs: number }>();
    for (const env of await this.#store.listEnvironments()) {
      for (const fn of await this.#store.listFunctions(env)) {
        const manifest = fn.manifest === null ? undefined : (JSON.parse(fn.manifest) as Manifest);
        if (!manifest?.schedule) continue;
        const s = normaliseSchedule(manifest.schedule);
        const spec: ScheduleSpec = {
          env,
          function: fn.name,
          cron: s.cron,
          timezone: s.timezone ?? null,
          overlap: s.overlap,
          missed: s.missed,
        };
        try {
          wanted.set(keyOf(env, fn.name), { spec, times: scheduleTimes(s), timeoutMs: manifest.timeout });
        } catch (err) {
          // Validated at deploy; only a croner upgrade that reads a pattern differently could get here.
          this.#logger.error({ err, env, function: fn.name, cron: s.cron }, "a stored schedule no longer parses");
        }
      }
    }
    for (const row of rows) {
      if (!wanted.has(keyOf(row.env, row.function))) await this.#store.deleteSchedule(row.env, row.function);
    }
    const entries = new Map<string, Entry>();
    for (const [key, w] of wanted) {
      const stored = await this.#store.putSchedule(w.spec, w.times.next(now) ?? NEVER, now);
      const before = this.#entries.get(key);
      const same = before && before.spec.cron === w.spec.cron && before.spec.timezone === w.spec.timezone;
      // The row is the truth across nodes; this node may already be past it (a claim not yet committed).
      const next = same ? Math.max(before.next, stored.nextFireAt) : stored.nextFireAt;
      entries.set(key, { ...w, next });
    }
    this.#entries = entries;
  }

  /** One timer: at the earliest tick due, or the next reload, whichever comes first. */
  #arm(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#stopped || !this.#leading) return;
    const now = this.#clock.now();
    let at = this.#lastReload + this.#reloadIntervalMs;
    for (const e of this.#entries.values()) at = Math.min(at, e.next);
    this.#timer = this.#clock.setTimeout(() => this.#wake(), Math.max(0, at - now));
  }

  #wake(): void {
    this.#timer = undefined;
    if (this.#stopped || !this.#leading) return;
    const now = this.#clock.now();
    for (const e of this.#entries.values()) {
      if (e.next > now) continue;
      const tick = e.next;
      if (now - tick <= this.#missedAfterMs) {
        e.next = e.times.next(tick) ?? NEVER;
        this.#track(this.#fire(e, tick, e.next));
        continue;
      }
      // Late: the node was down (or stalled) through this tick and maybe more after it.
      const latest = e.times.latest(now) ?? tick;
      e.next = e.times.next(now) ?? NEVER;
      if (e.spec.missed === "run-once") this.#track(this.#fire(e, latest, e.next));
      else this.#track(this.#skipMissed(e, tick, latest, e.next));
    }
    if (now - this.#lastReload >= this.#reloadIntervalMs) void this.reload();
    else this.#arm();
  }

  #track(p: Promise<void>): void {
    this.#inflight.track(p.catch((err: unknown) => this.#logger.error({ err }, "a schedule tick failed")));
  }

  async #fire(e: Entry, tick: number, next: number): Promise<void> {
    const { env, function: fn, cron } = e.spec;
    const now = this.#clock.now();
    const [activationId, ownTraceId, ownSpanId] = newActivationIds();
    let claim: "fire" | "skip" | "taken";
    try {
      claim = await this.#store.claimScheduleTick({
        env,
        function: fn,
        tick,
        next,
        now,
        runningUntil: now + e.timeoutMs + LEASE_GRACE_MS,
        activationId,
      });
    } catch (err) {
      this.#logger.warn({ err, env, function: fn, tick }, "claiming a schedule tick failed; it does not fire here");
      return;
    }
    if (claim === "taken") return;
    if (claim === "skip") {
      this.#metrics?.scheduleSkipped(env, fn, "overlap");
      this.#logger.info(
        { env, function: fn, tick: new Date(tick).toISOString() },
        "schedule tick skipped: the previous run is still going (overlap: skip)",
      );
      return;
    }
    let status: "success" | "error" = "error";
    try {
      // Each tick starts its own trace, named by its activation like any request without a traceparent.
      const ids = {
        activationId,
        traceId: ownTraceId,
        spanId: ownSpanId,
        parentSpanId: null,
        traceState: undefined,
        correlationId: activationId,
      };
      const out = await this.#invoker.invokeScheduled(env, fn, { cron, scheduledTime: tick }, ids);
      // The run goes on until its waitUntil work is done: that is what overlap `skip` waits for.
      await out.finished;
      if (out.result.kind !== "error") status = "success";
    } catch (err) {
      // Refused before it ran (Throttled, CapacityExceeded: those are on the record) or the function is gone.
      this.#logger.warn({ err, env, function: fn, tick }, "a schedule tick did not run");
    }
    try {
      await this.#store.finishScheduleRun(env, fn, tick, status);
    } catch (err) {
      this.#logger.warn({ err, env, function: fn, tick }, "ending a schedule run's lease failed; it runs out itself");
    }
  }

  async #skipMissed(e: Entry, first: number, latest: number, next: number): Promise<void> {
    const { env, function: fn } = e.spec;
    let skipped: boolean;
    try {
      skipped = await this.#store.skipScheduleTicks(env, fn, latest, next, this.#clock.now());
    } catch (err) {
      this.#logger.warn({ err, env, function: fn }, "skipping missed schedule ticks failed");
      return;
    }
    if (!skipped) return;
    this.#metrics?.scheduleSkipped(env, fn, "missed");
    this.#logger.info(
      { env, function: fn, from: new Date(first).toISOString(), to: new Date(latest).toISOString() },
      "schedule ticks missed while no node ran were skipped (missed: skip)",
    );
  }
}
