// Pave's Prometheus metrics: counted from every activation as it is recorded, plus gauges read from the runtime at
// scrape time. One registry per server (never prom-client's global one), served as text at GET /metrics.
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { Activation, BacklogRow } from "../store/index.ts";
import { type CounterCell, CounterFamily, type HistogramCell, HistogramFamily } from "./hot-metrics.ts";

/** What the runtime reports at scrape time (see Runtime.stats()). */
export interface RuntimeGauges {
  idle: number;
  busy: number;
  invocations: number;
}

/** The series one kind of activation counts into, looked up once (see observe). */
interface Series {
  invocations: CounterCell;
  duration: HistogramCell;
  coldStarts: CounterCell;
  throttles: CounterCell;
  gbSeconds: CounterCell;
}

/** Seconds; from a cached hello (~1 ms) to the 15-minute timeout limit. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

export class Metrics {
  readonly registry = new Registry();
  readonly #invocations: CounterFamily;
  readonly #duration: HistogramFamily;
  readonly #coldStarts: CounterFamily;
  readonly #throttles: CounterFamily;
  readonly #gbSeconds: CounterFamily;
  readonly #egress: Counter<"env" | "function" | "host" | "status">;
  readonly #scheduleSkips: Counter<"env" | "function" | "reason">;
  readonly #deliveries: Counter<"env" | "function" | "topic" | "outcome">;
  /** Read at scrape time (one grouped query over open and dead deliveries); none until the server sets it. */
  #backlog: (() => Promise<BacklogRow[]>) | undefined;
  #leader: (() => boolean) | undefined;
  readonly #series = new Map<string, Series>();
  /** The last activation's key and series (see observe). */
  #last: (Pick<Activation, "env" | "function" | "version" | "status" | "trigger"> & { series: Series }) | undefined;

  constructor(runtime: () => RuntimeGauges) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges `…_total`, a suffix Prometheus keeps for counters (promtool flags them); the
    // active-resource counts they report are not worth a misleading name.
    for (const name of [
      "nodejs_active_handles_total",
      "nodejs_active_requests_total",
      "nodejs_active_resources_total",
    ]) {
      this.registry.removeSingleMetric(name);
    }
    this.#invocations = new CounterFamily({
      name: "pave_invocations_total",
      help: "Invocations that ended, by outcome (status: success or error) and what started them (trigger).",
      labelNames: ["env", "function", "version", "status", "trigger"],
      registers,
    });
    this.#duration = new HistogramFamily({
      name: "pave_invocation_duration_seconds",
      help: "Wall-clock duration of invocations, from start to the end of their work (waitUntil included).",
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#coldStarts = new CounterFamily({
      name: "pave_cold_starts_total",
      help: "Invocations that had to start a new instance.",
      labelNames: ["env", "function"],
      registers,
    });
    this.#throttles = new CounterFamily({
      name: "pave_throttles_total",
      help: "Invocations refused because the function was at its concurrency limit (429 Throttled).",
      labelNames: ["env", "function"],
      registers,
    });
    this.#gbSeconds = new CounterFamily({
      // Spelled out: Prometheus names carry whole units (promtool refuses "gb"). Lambda's "GB-seconds".
      name: "pave_billed_gigabyte_seconds_total",
      help: "Billed compute in GB-seconds: memory (GB) times billed duration (s), summed over invocations.",
      labelNames: ["env", "function"],
      registers,
    });
    this.#egress = new Counter({
      name: "pave_egress_requests_total",
      help: "Outbound fetch calls made by functions, by host and response status (or error code).",
      labelNames: ["env", "function", "host", "status"],
      registers,
    });
    this.#scheduleSkips = new Counter({
      name: "pave_schedule_skips_total",
      help: "Schedule ticks that did not fire: overlap (the previous run was still going) or missed (the node was down or late).",
      labelNames: ["env", "function", "reason"],
      registers,
    });
    this.#deliveries = new Counter({
      name: "pave_deliveries_total",
      help: "Topic deliveries (and async invocations, topic $async) finished: ack, retry, dead (to the dead-letter list) or release (handed back unrun: paused or throttled).",
      labelNames: ["env", "function", "topic", "outcome"],
      registers,
    });
    const backlog = () => this.#backlog?.() ?? Promise.resolve([]);
    new Gauge({
      name: "pave_subscription_depth",
      help: "Deliveries not yet acked nor dead (pending or in flight), per subscriber and topic.",
      labelNames: ["env", "function", "topic"],
      registers,
      async collect() {
        this.reset();
        for (const r of await backlog()) this.set({ env: r.env, function: r.function, topic: r.queue }, r.depth);
      },
    });
    new Gauge({
      name: "pave_subscription_oldest_age_seconds",
      help: "Age of the oldest delivery not yet acked nor dead, per subscriber and topic (0 when none).",
      labelNames: ["env", "function", "topic"],
      registers,
      async collect() {
        this.reset();
        const now = Date.now();
        for (const r of await backlog()) {
          const age = r.oldestAt === null ? 0 : Math.max(0, (now - r.oldestAt) / 1000);
          this.set({ env: r.env, function: r.function, topic: r.queue }, age);
        }
      },
    });
    const leader = () => this.#leader?.() ?? false;
    new Gauge({
      name: "pave_leader",
      help: "1 while this node leads the nodes sharing the store (runs the scheduler and housekeeping), else 0.",
      registers,
      collect() {
        this.set(leader() ? 1 : 0);
      },
    });
    new Gauge({
      name: "pave_concurrent_invocations",
      help: "Invocations in flight on this node.",
      registers,
      collect() {
        this.set(runtime().invocations);
      },
    });
    new Gauge({
      name: "pave_instances",
      help: "Instances (warm isolates holding a version) on this node, by state.",
      labelNames: ["state"],
      registers,
      collect() {
        const r = runtime();
        this.set({ state: "idle" }, r.idle);
        this.set({ state: "busy" }, r.busy);
      },
    });
  }

  /**
   * Counts one recorded activation. This runs for every invocation, so each kind's series are looked up once and kept
   * as handles (see hot-metrics.ts).
   */
  observe(a: Activation): void {
    // The series of the last activation is tried before building a key: under load, most come from one function.
    const last = this.#last;
    if (
      last !== undefined &&
      last.env === a.env &&
      last.function === a.function &&
      last.version === a.version &&
      last.status === a.status &&
      last.trigger === a.trigger
    ) {
      this.#count(last.series, a);
      return;
    }
    const key = `${a.env}\0${a.function}\0${a.version}\0${a.status}\0${a.trigger}`;
    let s = this.#series.get(key);
    if (!s) {
      const fnKey = `${a.env}\0${a.function}`;
      const fn = { env: a.env, function: a.function };
      s = {
        invocations: this.#invocations.cell(key, {
          env: a.env,
          function: a.function,
          version: a.version,
          status: a.status,
          trigger: a.trigger,
        }),
        duration: this.#duration.cell(`${fnKey}\0${a.trigger}`, {
          env: a.env,
          function: a.function,
          trigger: a.trigger,
        }),
        coldStarts: this.#coldStarts.cell(fnKey, fn),
        throttles: this.#throttles.cell(fnKey, fn),
        gbSeconds: this.#gbSeconds.cell(fnKey, fn),
      };
      this.#series.set(key, s);
    }
    const { env, function: fn, version, status, trigger } = a;
    this.#last = { env, function: fn, version, status, trigger, series: s };
    this.#count(s, a);
  }

  #count(s: Series, a: Activation): void {
    if (a.errorCode === "Throttled") s.throttles.value++;
    s.invocations.value++;
    // One refused before it ran (billed nothing) has no duration to observe (as in the rollups' histogram).
    if (a.billedMs > 0) s.duration.observe(a.durationMs / 1000);
    if (a.cold) s.coldStarts.value++;
    s.gbSeconds.value += a.gbSeconds;
    for (const call of a.egress) {
      this.#egress.inc({
        env: a.env,
        function: a.function,
        host: call.host,
        status: call.error ?? String(call.status),
      });
    }
  }

  /** Counts schedule ticks that did not fire, and why. */
  scheduleSkipped(env: string, fn: string, reason: "overlap" | "missed", ticks = 1): void {
    this.#scheduleSkips.inc({ env, function: fn, reason }, ticks);
  }

  /** Counts deliveries that ended one way (see pave_deliveries_total). */
  delivered(env: string, fn: string, topic: string, outcome: "ack" | "retry" | "dead" | "release", n = 1): void {
    this.#deliveries.inc({ env, function: fn, topic, outcome }, n);
  }

  /** Whether this node leads, read at scrape time (pave_leader). */
  watchLeader(read: () => boolean): void {
    this.#leader = read;
  }

  /** Where the subscription gauges are read from at scrape time. */
  watchBacklog(read: () => Promise<BacklogRow[]>): void {
    this.#backlog = read;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
