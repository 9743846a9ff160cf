// One instance: a V8 isolate (heap limit = the function's memory) holding one version. It runs one invocation at a
// time, but the host may queue a few behind it (see pool.ts). Timeouts and out-of-memory dispose the isolate.
import ivm from "isolated-vm";
import { PaveError } from "../errors.ts";
import type { EgressCall, Span } from "../store/index.ts";
import {
  type CallContext,
  EgressError,
  type EgressRequest,
  type EgressResponse,
  type Grants,
  type InstanceBindings,
  redactSecrets,
} from "./bindings/index.ts";
import { webBridges } from "./host-bridges.ts";
import { newIsolate } from "./isolate-heap.ts";
import { appendLog, type LogEntry, type LogLimits } from "./log-lines.ts";
import {
  type HandlerStyle,
  type Invocation,
  resultFromWire,
  type SandboxResult,
  toWire,
  type WireInvocation,
} from "./protocol.ts";
import type { SandboxScript } from "./sandbox-script.ts";
import { SmallMap } from "./small-map.ts";

/** Where handlers run: see RuntimeOptions.inline. */
export type InlineMode = "auto" | "always" | "never";

export type { LogEntry, LogLimits };

/** A version as the runtime needs it. */
export interface VersionCode {
  env: string;
  function: string;
  id: string;
  memoryMb: number;
  timeoutMs: number;
  concurrency: number;
  /** What the manifest grants under `bindings:`. @default none */
  grants?: Grants;
  /** Instances kept warm while this version is its function's provisioned one (`Runtime.provision`). @default 0 */
  minInstances?: number;
  bundle: string;
  /** Set by the runtime once an inline run of this version was slow: its invocations then always go to a thread. */
  inlineOff?: boolean;
  /** V8 code cache for the bundle, filled by the first compile of this version in this process. */
  cachedData?: ivm.ExternalCopy<ArrayBuffer>;
}

export type Failure = { kind: "error"; code: "Timeout" | "OutOfMemory" | "FunctionError"; message: string };
export type Outcome = SandboxResult | Failure;

export interface Settled {
  /** Set when the invocation failed after (or instead of) producing its result, e.g. a waitUntil timeout. */
  failure?: Failure;
  /**
   * The invocation never started: it was queued behind one whose timeout or memory blow-up disposed the isolate.
   * Nothing ran and no result was given; the caller runs it again on another instance.
   */
  lost?: boolean;
  logs: LogEntry[];
  logsDropped: number;
  /** The outbound calls it made. */
  egress: EgressCall[];
  /** The spans of its binding calls (none outside a trace). */
  spans: Span[];
  /** Isolate CPU time, when this invocation had the isolate to itself from start to end. */
  cpuMs: number | null;
  /** False when the isolate was discarded and must not be reused. */
  reusable: boolean;
}

interface Running {
  logs: LogEntry[];
  logBytes: number;
  dropped: number;
  onResult: ((r: Outcome) => void) | null;
  /** Settles the invocation: the sandbox reported it finished (with its result, or null if it responded early). */
  onDone?: (result: SandboxResult | null) => void;
  /** Fails it: the isolate went away before it reported (see Instance.#isolateLost), or it could not be sent. */
  onFail?: (err: unknown) => void;
  /** The invocation its binding calls act for (unset for the module's load). */
  ctx?: CallContext;
  /** The sandbox reported its end (see `done`). */
  reported?: boolean;
}

/** Where the bridges deliver log lines and early results: by invocation id; "" is the module's load. */
interface Sink {
  load: Running;
  byId: SmallMap<string, Running>;
  /** The version's bindings, once one is loaded; they also scrub its secrets from log lines. */
  bindings?: InstanceBindings;
  /**
   * Set the first time the isolate asks the host for something asynchronous (a timer, a binding, fetch, Web Crypto).
   * From then on its code may resume on isolated-vm's threads at any moment, so it is never run inline again.
   */
  asyncUsed?: boolean;
  /** Set when an inline attempt was cut short: host calls it queued must not act (its invocation runs again). */
  aborted?: boolean;
}

function freshRunning(): Running {
  return { logs: [], logBytes: 0, dropped: 0, onResult: null };
}

/** An invocation the host handed to this instance and that has not settled. */
interface Queued {
  id: string;
  /** Set while it is the one running (the head of the queue), for its timeout. */
  timer: NodeJS.Timeout | undefined;
  timedOut: boolean;
  /** Queued behind the invocation that made the isolate go away: it never started. */
  stranded: boolean;
  /** The isolate's CPU time when it became the head, and whether it stayed alone there (for its CPU figure). */
  cpuStart: bigint;
  alone: boolean;
}

/** An isolate with the sandbox loaded and its host bridges wired, holding no function yet: a spare, ready to load one. */
export interface Booted {
  memoryMb: number;
  isolate: ivm.Isolate;
  context: ivm.Context;
  /** Hands the sandbox a version's bindings (`env`, secrets); called before the bundle runs. */
  bind: ivm.Reference<(spec: unknown) => void>;
  init: ivm.Reference<() => unknown>;
  sink: Sink;
}

/** Creates an isolate with `memoryMb` of heap, evaluates the sandbox and hands it its bridges. */
export async function boot(sandbox: SandboxScript, memoryMb: number, limits: LogLimits): Promise<Booted> {
  const isolate = newIsolate(memoryMb);
  const sink: Sink = { load: freshRunning(), byId: new SmallMap() };
  // Everything the isolate hands over is checked again in appendLog: its code is not ours to trust.
  const log = (id: unknown, level: unknown, message: unknown, fields: unknown) => {
    const running = (typeof id === "string" && sink.byId.get(id)) || sink.load;
    appendLog(running, limits, sink.bindings?.secretValues, level, message, fields);
  };
  // Never rejects: isolated-vm would surface a rejected host promise as an unhandled rejection on the host.
  const hostCall = (id: string, op: string, args: unknown[]): Promise<HostReply> => {
    sink.asyncUsed = true;
    if (!sink.bindings || sink.aborted) {
      return Promise.resolve({ ok: false, message: "BindingDenied: no function is loaded" });
    }
    return sink.bindings.handle(sink.byId.get(id)?.ctx, op, args).then(
      (value) => ({ ok: true, value }),
      (err: unknown) => ({ ok: false, message: err instanceof Error ? err.message : String(err) }),
    );
  };
  // Results come out flat (see resultToWire); null: the invocation responded early and is now over.
  const done = (id: string, result: unknown) => {
    const running = sink.byId.get(id);
    if (!running) return;
    running.reported = true;
    running.onDone?.(result === null ? null : resultFromWire(result));
  };
  const respond = (id: string, result: unknown) => {
    const running = sink.byId.get(id);
    const cb = running?.onResult;
    if (running && cb) {
      running.onResult = null;
      cb(resultFromWire(result));
    }
  };
  try {
    const context = await isolate.createContext();
    const sandboxCode = await isolate.compileScript(sandbox.code, {
      filename: "pave:sandbox",
      ...(sandbox.cachedData && { cachedData: sandbox.cachedData }),
    });
    await sandboxCode.run(context);
    const setup = (await context.global.get("__pave_setup", { reference: true })) as ivm.Reference<
      (...args: unknown[]) => () => unknown
    >;
    const bridges = (await setup.apply(
      undefined,
      [
        // Asynchronous: a threaded invocation goes on instead of waiting for this thread to take its line. (Lines
        // and `done` reports travel in the order they were made, so a line is in before its invocation's end.)
        new ivm.Callback(log, { ignored: true }),
        new ivm.Reference((ms: number) => {
          sink.asyncUsed = true;
          return new Promise((resolve) => setTimeout(resolve, ms).unref());
        }),
        new ivm.Callback(respond),
        new ivm.Callback(parseUrl),
        // Asynchronous: the isolate goes on with the next invocation instead of waiting for the host to take this one.
        new ivm.Callback(done, { ignored: true }),
        // Synchronous, for results of inline runs: the host is on this very call's stack and takes them at once.
        new ivm.Callback(done),
        ...webBridges(
          (request, id) => fetchFor(sink, request, id),
          () => {
            sink.asyncUsed = true;
          },
        ),
        new ivm.Reference(hostCall),
        // Synchronous, for lines of inline runs: this thread is running the isolate and takes them at once.
        new ivm.Callback(log),
        // Asynchronous, several threaded invocations' ends at once: id, result, id, result…
        new ivm.Callback(
          (results: unknown) => {
            if (!Array.isArray(results)) return;
            for (let i = 0; i < results.length; i += 2) done(results[i] as string, results[i + 1]);
          },
          { ignored: true },
        ),
      ],
      { result: { reference: true } },
    )) as unknown as ivm.Reference<unknown[]>;
    const bind = (await bridges.get(0, { reference: true })) as ivm.Reference<(spec: unknown) => void>;
    const init = (await bridges.get(1, { reference: true })) as ivm.Reference<() => unknown>;
    return { memoryMb, isolate, context, bind, init, sink };
  } catch (err) {
    if (!isolate.isDisposed) isolate.dispose();
    throw err;
  }
}

export class Instance {
  readonly version: VersionCode;
  readonly style: HandlerStyle;
  lastUsed = 0;
  readonly #isolate: ivm.Isolate;
  readonly #dispatch: ivm.Reference<(invs: WireInvocation[]) => Promise<null>>;
  readonly #inline: ivm.Reference<(inv: WireInvocation | null) => void>;
  readonly #inlineMode: InlineMode;
  readonly #sink: Sink;
  /** Invocations handed over and not settled, in the order the sandbox runs them; the first is running. */
  readonly #queue: Queued[] = [];
  /** Invocations not yet sent into the isolate; sent together at the end of this turn of the event loop. */
  #outbox: Invocation[] = [];
  /**
   * No invocation has been sent here yet. A cold start's invocation runs inline even when the mode is `never` (while
   * the loop has spare time): two thread hand-offs were half of what a cold start took, and a fresh isolate holds no
   * state another call could be using.
   */
  #fresh = true;
  /** When the running invocation started (host clock), so the pool queues only behind fresh ones. */
  headSince = 0;
  #gone = false;

  private constructor(
    version: VersionCode,
    isolate: ivm.Isolate,
    style: HandlerStyle,
    dispatch: ivm.Reference<(invs: WireInvocation[]) => Promise<null>>,
    inline: ivm.Reference<(inv: WireInvocation | null) => void>,
    watch: ivm.Reference<() => Promise<never>>,
    inlineMode: InlineMode,
    sink: Sink,
  ) {
    this.version = version;
    this.#isolate = isolate;
    this.style = style;
    this.#dispatch = dispatch;
    this.#inline = inline;
    this.#inlineMode = inlineMode;
    // Lines logged by top-level code wait in sink.load and belong to the first (cold) invocation, as Lambda's INIT
    // lines do.
    this.#sink = sink;
    // Batches go in with applyIgnored (see #flush), so no call of theirs fails when the isolate goes (V8 threw it out
    // for its heap, or our timer disposed it). This one call, which never returns, is abandoned then instead.
    watch.apply(undefined, [], { result: { promise: true } }).catch(() => this.#isolateLost());
  }

  /**
   * Loads a version into a booted isolate (see `boot`): evaluates the bundle and finds its handler.
   * Throws InvalidHandler, BuildError, FunctionError, Timeout or OutOfMemory; the isolate is disposed then.
   */
  static async create(
    version: VersionCode,
    booted: Booted,
    bindings: InstanceBindings,
    inlineMode: InlineMode = "never",
  ): Promise<Instance> {
    const { isolate, context, bind, init, sink } = booted;
    try {
      sink.bindings = bindings;
      const { spec } = bindings;
      // Most functions have no bindings: skip the extra call into the isolate (it is on the cold start's path).
      if (spec.kv.length + spec.services.length + spec.topics.length + Object.keys(spec.secrets).length > 0) {
        bind.applySync(undefined, [spec], { arguments: { copy: true }, timeout: SETUP_BUDGET_MS });
      }
      const script = await compile(isolate, version);
      await script.run(context, { timeout: version.timeoutMs });
      // The module ran; what is left is ours and quick, so it runs on this thread: each asynchronous step would be
      // a hand-off to isolated-vm's thread and back on the cold start's path. (Bounded all the same: reading the
      // module's exports can run a getter the function defined.)
      const ready = init.applySync(undefined, [], {
        result: { reference: true },
        timeout: SETUP_BUDGET_MS,
      }) as ivm.Reference<Record<number, unknown>>;
      // `init` returns [style, dispatch, inline, watch], or a string saying why the module has no handler.
      if (ready.typeof !== "object") throw new PaveError("InvalidHandler", String(ready.copySync()));
      const style = ready.getSync(0, { copy: true }) as HandlerStyle;
      const dispatch = ready.getSync(1, { reference: true }) as ivm.Reference<
        (invs: WireInvocation[]) => Promise<null>
      >;
      const inline = ready.getSync(2, { reference: true }) as ivm.Reference<(inv: WireInvocation | null) => void>;
      const watch = ready.getSync(3, { reference: true }) as ivm.Reference<() => Promise<never>>;
      return new Instance(version, isolate, style, dispatch, inline, watch, inlineMode, sink);
    } catch (err) {
      const failure = classify(err, isolate, false);
      if (!isolate.isDisposed) isolate.dispose();
      if (err instanceof PaveError) throw err;
      if (failure.code === "FunctionError") {
        throw new PaveError("FunctionError", `the function failed while loading: ${failure.message}`, { cause: err });
      }
      throw new PaveError(
        failure.code,
        `the function ${failure.code === "Timeout" ? "timed out" : "ran out of memory"} while loading`,
        { cause: err },
      );
    }
  }

  /**
   * Runs one invocation, after those already queued here. `onResult` is called exactly once, as soon as the response
   * is known — unless the invocation is lost (see Settled.lost); the returned promise settles when it is over.
   */
  async invoke(inv: Invocation, onResult: (r: Outcome) => void): Promise<Settled> {
    const id = inv.meta.id;
    const running = freshRunning();
    running.onResult = (r) => onResult(this.#scrub(r));
    running.ctx = { meta: inv.meta, egress: [] };
    const load = this.#sink.load;
    if (load.logs.length > 0 || load.dropped > 0) {
      Object.assign(running, { logs: load.logs, logBytes: load.logBytes, dropped: load.dropped });
      this.#sink.load = freshRunning();
    }
    this.#sink.byId.set(id, running);
    const entry: Queued = { id, timer: undefined, timedOut: false, stranded: false, cpuStart: 0n, alone: true };
    this.#queue.push(entry);
    if (this.#queue.length === 1) this.#startHead();
    // Invocations behind it run in the same calls into the isolate: its CPU time can no longer be told apart.
    else for (const q of this.#queue) q.alone = false;

    let failure: Failure | undefined;
    let lost = false;
    let returned: SandboxResult | null = null;
    try {
      returned = await new Promise<SandboxResult | null>((resolve, reject) => {
        running.onDone = resolve;
        running.onFail = reject;
        this.#send(inv, entry);
      });
    } catch (err) {
      failure = classify(err, this.#isolate, entry.timedOut);
      if (failure.code !== "FunctionError") this.dispose();
      lost = entry.stranded;
    }
    clearTimeout(entry.timer);
    const cpuMs =
      entry.alone && !this.#isolate.isDisposed ? Number(this.#isolate.cpuTime - entry.cpuStart) / 1e6 : null;
    const at = this.#queue.indexOf(entry);
    if (at !== -1) this.#queue.splice(at, 1);
    if (at === 0 && this.#queue.length > 0) this.#startHead();
    this.#sink.byId.delete(id);
    this.lastUsed = Date.now();
    if (lost)
      return { lost: true, logs: [], logsDropped: 0, egress: [], spans: NO_SPANS, cpuMs: null, reusable: false };
    if (running.onResult) {
      const deliver = running.onResult;
      running.onResult = null;
      deliver(
        returned ??
          failure ?? { kind: "error", code: "FunctionError", message: "the function finished without responding" },
      );
    }
    return {
      ...(failure && { failure: this.#scrub(failure) }),
      logs: running.logs,
      logsDropped: running.dropped,
      egress: running.ctx.egress,
      spans: running.ctx.spans ?? NO_SPANS,
      cpuMs: cpuMs === null ? null : Math.round(cpuMs * 1000) / 1000,
      reusable: !this.#isolate.isDisposed,
    };
  }

  /** Error messages go into activations and responses: no secret value may be in them. */
  #scrub<T extends Outcome>(outcome: T): T {
    const secrets = this.#sink.bindings?.secretValues;
    if (outcome.kind !== "error" || !secrets || secrets.size === 0) return outcome;
    return { ...outcome, message: redactSecrets(outcome.message, secrets) };
  }

  #send(inv: Invocation, entry: Queued): void {
    const inline = this.#canInline();
    this.#fresh = false;
    if (inline) {
      this.#runInline(inv, entry);
      return;
    }
    this.#outbox.push(inv);
    if (this.#outbox.length === 1) setImmediate(() => this.#flush());
  }

  /**
   * Inline: run on this thread, synchronously, instead of handing the call to isolated-vm's threads. For a quick
   * handler that is most of the cost saved (a thread wake-up and hand-back each way). Only when nothing else can be
   * running in the isolate: no other invocation here and its code has never waited on the host. (A batch whose
   * invocations have all reported may still be returning on isolated-vm's thread: the synchronous call then waits
   * the few microseconds until it has.)
   */
  #canInline(): boolean {
    return (
      this.#queue.length === 1 &&
      this.#outbox.length === 0 &&
      !this.#sink.asyncUsed &&
      !this.version.inlineOff &&
      (this.#inlineMode === "always" || ((this.#inlineMode === "auto" || this.#fresh) && !loopIsBusy())) &&
      !this.#isolate.isDisposed
    );
  }

  /**
   * The handler runs to its first wait (or its end) before this returns, its result handed over on the way (a
   * synchronous `done`). V8 stops it at INLINE_BUDGET_MS, so a slow or spinning handler holds the event loop that long
   * at most: the isolate is then discarded (its state is unknown), host calls it queued are refused, and the
   * invocation is reported lost — it runs again, threaded, on a fresh instance (nothing it did reached the world).
   * A version whose inline runs are slow is moved to threads for good: CPU-heavy code runs better off this thread.
   */
  #runInline(inv: Invocation, entry: Queued): void {
    // Its timeout runs from now, as the head timer's does (a rerun of a stranded invocation starts afresh too).
    const remaining = this.version.timeoutMs;
    const budget = Math.min(INLINE_BUDGET_MS, remaining);
    const cpuBefore = this.#isolate.cpuTime;
    try {
      this.#inline.applySync(undefined, [toWire(inv)], { arguments: { copy: true }, timeout: budget });
    } catch (err) {
      const cutShort = /Script execution timed out/.test(err instanceof Error ? err.message : String(err));
      if (cutShort && budget < remaining) {
        this.version.inlineOff = true;
        this.#sink.aborted = true;
        entry.stranded = true;
        this.dispose();
      }
      this.#sink.byId.get(inv.meta.id)?.onFail?.(err);
      return;
    }
    // Still waiting on the host: its end comes later, from isolated-vm's thread, so through the asynchronous `done`
    // (a synchronous callback from that thread would block it on this one).
    if (!this.#sink.byId.get(inv.meta.id)?.reported && !this.#isolate.isDisposed) {
      this.#inline.applySync(undefined, [null], { timeout: INLINE_BUDGET_MS });
    }
    // CPU time, not wall time: a busy host or a GC pause must not count against the function.
    if (!this.#isolate.isDisposed && Number(this.#isolate.cpuTime - cpuBefore) / 1e6 > INLINE_SLOW_MS) {
      this.version.inlineOff = true;
    }
  }

  /**
   * One call into the isolate for every invocation that arrived this turn. No `timeout` option: a queued handler runs
   * inside another call's task, so V8's per-call watchdog would time the wrong one; the head's timer disposes the
   * isolate instead, which stops even a busy loop. applyIgnored, not apply: the sandbox reports every invocation
   * through `done`, so the call's own answer told nothing but that the isolate went away, which the watch tells; and
   * apply's promise, the stack trace it captures and its answer's task were ~4% of the gateway's thread.
   */
  #flush(): void {
    const batch = this.#outbox;
    this.#outbox = [];
    let failure: unknown;
    // A call into a disposed isolate is dropped without a word: these would wait for their timeouts.
    if (!this.#isolate.isDisposed) {
      try {
        this.#dispatch.applyIgnored(undefined, [batch.map(toWire)], { arguments: { copy: true } });
        return;
      } catch (err) {
        failure = err;
      }
    }
    this.#fail(
      batch.map((inv) => inv.meta.id),
      failure ?? isolateGone(),
    );
  }

  /** The isolate is gone: every invocation sent to it and not reported fails (the head as Timeout or OutOfMemory). */
  #isolateLost(): void {
    // V8 may have thrown it out without isolated-vm marking it disposed yet; either way it is unusable now.
    this.dispose();
    this.#fail(
      this.#queue.map((q) => q.id),
      isolateGone(),
    );
  }

  /**
   * Fails these invocations, after this turn's poll: results and log lines the isolate sent before it stopped are
   * queued to this thread, and land first.
   */
  #fail(ids: string[], err: unknown): void {
    setImmediate(() => {
      for (const id of ids) this.#sink.byId.get(id)?.onFail?.(err);
    });
  }

  /** The head of the queue is now running: its timeout starts. */
  #startHead(): void {
    const head = this.#queue[0];
    if (!head) return;
    this.headSince = Date.now();
    head.cpuStart = this.#isolate.isDisposed ? 0n : this.#isolate.cpuTime;
    head.timer = setTimeout(() => {
      // Already gone: V8 threw it out for its heap, in code no call of ours was waiting on (see #runInline).
      head.timedOut = !this.#isolate.isDisposed;
      this.dispose();
      // The watch fails them too, but only once isolated-vm has abandoned its call: this does not wait for that.
      this.#fail(
        this.#queue.map((q) => q.id),
        isolateGone(),
      );
    }, this.version.timeoutMs);
  }

  get disposed(): boolean {
    return this.#isolate.isDisposed;
  }

  /**
   * Discards the isolate. The first call happens while the invocation that caused it is still the head of the queue
   * (only the running one can time out or blow the heap), so those behind it are marked stranded: they never started.
   */
  dispose(): void {
    if (!this.#gone) {
      this.#gone = true;
      for (const q of this.#queue.slice(1)) q.stranded = true;
    }
    if (!this.#isolate.isDisposed) this.#isolate.dispose();
  }
}

/** How an invocation fails when its isolate went away; classify() reads it as Timeout or OutOfMemory. */
function isolateGone(): Error {
  return new Error("Isolate was disposed");
}

/** Shared by every invocation that made no binding call (most of them): never written to. */
const NO_SPANS: Span[] = [];

type HostReply = { ok: true; value: unknown } | { ok: false; message: string };

/** A function's fetch, for the invocation `id`: through its egress grants (see bindings/egress.ts). */
function fetchFor(sink: Sink, request: EgressRequest, id: string): Promise<EgressResponse> {
  if (!sink.bindings || sink.aborted) return Promise.reject(new EgressError("EgressDenied", "no function is loaded"));
  return sink.bindings.handle(sink.byId.get(id)?.ctx, "fetch", [request]) as Promise<EgressResponse>;
}

/**
 * Whether the event loop has been nearly saturated lately. Inline runs save a thread hand-off but add the handler's
 * time to this thread's; under load, the threaded path runs handlers in parallel with HTTP and wins throughput.
 */
function loopIsBusy(): boolean {
  const now = performance.now();
  if (now - loop.sampledAt >= LOOP_SAMPLE_MS) {
    const elu = performance.eventLoopUtilization(loop.last);
    loop.busy = elu.utilization > BUSY_LOOP_UTILIZATION;
    loop.last = performance.eventLoopUtilization();
    loop.sampledAt = now;
  }
  return loop.busy;
}
const LOOP_SAMPLE_MS = 50;
const BUSY_LOOP_UTILIZATION = 0.7;
const loop = { sampledAt: 0, busy: false, last: performance.eventLoopUtilization() };

/** Longest the sandbox's own steps of loading a function (bind, init) may take on this thread. */
const SETUP_BUDGET_MS = 50;

/** Longest an inline run may hold the event loop before V8 stops it (it then runs again, threaded). */
const INLINE_BUDGET_MS = 50;
/** An inline run that takes more CPU than this moves its version to threads (a quick handler takes well under 1 ms). */
const INLINE_SLOW_MS = 10;

/** isolated-vm's types omit the code-cache fields that compileScript sets on the script. */
type CachedScript = ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer>; cachedDataRejected?: boolean };

async function compile(isolate: ivm.Isolate, version: VersionCode): Promise<ivm.Script> {
  const filename = `${version.function}@${version.id}.js`;
  try {
    if (version.cachedData) {
      // With the code cache, compiling is deserialising: quicker done here than handed to another thread.
      const script: CachedScript = isolate.compileScriptSync(version.bundle, {
        filename,
        cachedData: version.cachedData,
      });
      if (!script.cachedDataRejected) return script;
    }
    const script: CachedScript = await isolate.compileScript(version.bundle, { filename, produceCachedData: true });
    if (script.cachedData) version.cachedData = script.cachedData;
    return script;
  } catch (err) {
    if (isolate.isDisposed) throw err;
    throw new PaveError("BuildError", `the bundle does not compile: ${(err as Error).message}`, { cause: err });
  }
}

/** Maps what isolated-vm throws to our codes. A disposed isolate means our timer fired or V8 hit the heap limit. */
function classify(err: unknown, isolate: ivm.Isolate, timedOut: boolean): Failure {
  const message = err instanceof Error ? err.message : String(err);
  if (timedOut || /Script execution timed out/.test(message)) {
    return { kind: "error", code: "Timeout", message: "the function did not finish within its timeout" };
  }
  if (/memory limit/i.test(message) || (isolate.isDisposed && /disposed/i.test(message))) {
    return { kind: "error", code: "OutOfMemory", message: "the function exceeded its memory limit" };
  }
  return { kind: "error", code: "FunctionError", message };
}

/**
 * URL parsing for the sandbox, done by Node's WHATWG URL (the spec's parser, via ada) rather than a 300 KB polyfill
 * in every isolate. Returns the components in URL_PARTS order, or null when the input is not a valid URL.
 */
function parseUrl(input: string, base?: string): string[] | null {
  let url: URL;
  try {
    url = base === undefined ? new URL(String(input)) : new URL(String(input), String(base));
  } catch {
    return null;
  }
  return [
    url.href,
    url.origin,
    url.protocol,
    url.username,
    url.password,
    url.host,
    url.hostname,
    url.port,
    url.pathname,
    url.search,
    url.hash,
  ];
}
