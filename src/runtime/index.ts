// The runtime domain: runs a version's code in an isolate behind one create / invoke / dispose interface.
// Only this folder touches isolated-vm; callers see plain requests, responses and reports.
import { availableParallelism, totalmem } from "node:os";
import { PaveError } from "../errors.ts";
import type { EgressCall, Span } from "../store/index.ts";
import { type BindingHost, type EgressLimits, instanceBindings } from "./bindings/index.ts";
import { headersProblem } from "./http-headers.ts";
import type { Failure, InlineMode, Instance, LogEntry, LogLimits, Outcome, VersionCode } from "./instance.ts";
import { apiGatewayEvent, type HttpInput, lambdaResultToHttp } from "./lambda-http.ts";
import { eventBridgeScheduledEvent } from "./lambda-scheduled.ts";
import { sqsEvent, sqsVerdict } from "./lambda-sqs.ts";
import { InstancePool } from "./pool.ts";
import type {
  HandlerStyle,
  HttpResponse,
  Invocation,
  InvocationMeta,
  QueueMessageData,
  QueueVerdict,
} from "./protocol.ts";
import { sandboxScript } from "./sandbox-script.ts";
import type { PoolStats, VersionStats } from "./stats.ts";

export type { BindingHost, Grants, ServiceCall } from "./bindings/index.ts";
export { MAX_CALL_DEPTH, MAX_EVENT_BYTES, spanClock } from "./bindings/index.ts";
export type {
  HandlerStyle,
  HttpInput,
  HttpResponse,
  InvocationMeta,
  LogEntry,
  PoolStats,
  QueueMessageData,
  QueueVerdict,
  VersionCode,
  VersionStats,
};

export interface RuntimeOptions {
  /** How long an instance may stay idle before it is disposed (scale to zero), minInstances aside. @default 300000 */
  idleTtlMs?: number;
  /**
   * The most memory live instances may hold, in MB, counted as the sum of their `memory` limits. Idle instances are
   * evicted (least recently used first) to make room for a cold start; when even that is not enough, the invocation
   * fails with CapacityExceeded instead of overcommitting the host. @default half of the host's memory (os.totalmem)
   */
  memoryBudgetMb?: number;
  /** @default { maxLines: 1000, maxBytes: 256 KiB } */
  logLimits?: LogLimits;
  /** Instances per version beyond which a request briefly waits for a warm one. @default the number of CPUs */
  softInstanceLimit?: number;
  /**
   * Invocations one instance may hold: the running one and those queued behind it, which run one after another
   * (an isolate is single-threaded). 1 gives every concurrent invocation its own instance. @default 8
   */
  maxQueue?: number;
  /** Queue behind a running invocation only if it started less than this long ago (it is probably quick). @default 10 */
  queueWindowMs?: number;
  /**
   * Whether handlers may run on the event loop's thread (see Instance.#runInline): `auto` while the loop has spare
   * time, `always`, or `never` (on isolated-vm's threads, except a new instance's first invocation while the loop has
   * spare time: a cold start is then ~1 ms instead of ~2). Inline cuts a quick handler's latency by ~4× in-process,
   * but under HTTP load on a 2-core machine `never` measured ~20% more throughput (a threaded handler runs beside
   * HTTP instead of on its thread), so threads are the default. @default "never"
   */
  inline?: InlineMode;
  /** How long a request over `softInstanceLimit` waits for a busy instance before cold-starting anyway. @default 20 */
  maxWaitMs?: number;
  /** Spare isolates booted ahead per memory size, for fast cold starts. @default 2 */
  spares?: number;
  /** A response body larger than this is refused with InvalidResponse. @default 6 MiB */
  maxResponseBytes?: number;
  /** Serves kv, secrets, services and topics; without it, only functions with no such bindings run. */
  bindings?: BindingHost;
  /** Limits of a function's outbound `fetch`. @default { maxResponseBytes: 6 MiB, timeoutMs: 30000 } */
  egress?: Partial<EgressLimits>;
}

export type RuntimeInput =
  | { kind: "http"; http: HttpInput; url: string }
  | { kind: "direct"; payload: unknown }
  /** A schedule's tick: `scheduled(event)` for web-standard functions, an EventBridge event for Lambda-style ones. */
  | { kind: "scheduled"; cron: string; scheduledTime: number }
  /**
   * A batch of a topic's events: `queue(batch)` for web-standard functions, an SQS event for Lambda-style ones.
   * Either way the result is a `value` holding a QueueVerdict (the messages to retry).
   */
  | { kind: "queue"; queue: string; messages: QueueMessageData[] };

export type RuntimeResult =
  | HttpResponse
  /** A Lambda-style handler's return value, for direct invokes. */
  | { kind: "value"; value: unknown }
  | {
      kind: "error";
      code:
        | "FunctionError"
        | "InvalidResponse"
        | "Timeout"
        | "OutOfMemory"
        | "InvalidHandler"
        | "BuildError"
        | "CapacityExceeded";
      message: string;
    };

export interface RuntimeReport {
  cold: boolean;
  style: HandlerStyle | null;
  /** Set when the invocation failed after its result was sent (e.g. waitUntil work timed out). */
  lateFailure?: Failure;
  logs: LogEntry[];
  logsDropped: number;
  egress: EgressCall[];
  /** The spans of its binding calls, children of its own span (`InvocationMeta.spanId`). */
  spans: Span[];
  /** Isolate CPU time of this invocation, when it could be told apart from its neighbours'. */
  cpuMs: number | null;
}

export interface RuntimeCall {
  /** Resolves as soon as the response is known. */
  result: Promise<RuntimeResult>;
  /** Resolves when the invocation is over, with what the activation records. */
  report: Promise<RuntimeReport>;
}

export class Runtime {
  readonly #pool: InstancePool;
  readonly #maxResponseBytes: number;

  private constructor(pool: InstancePool, maxResponseBytes: number) {
    this.#pool = pool;
    this.#maxResponseBytes = maxResponseBytes;
  }

  static async start(options: RuntimeOptions = {}): Promise<Runtime> {
    const egress: EgressLimits = { maxResponseBytes: 6 * 1024 * 1024, timeoutMs: 30_000, ...options.egress };
    const pool = new InstancePool(await sandboxScript(), {
      idleTtlMs: options.idleTtlMs ?? 300_000,
      logLimits: options.logLimits ?? { maxLines: 1000, maxBytes: 256 * 1024 },
      spares: options.spares ?? 2,
      softInstanceLimit: options.softInstanceLimit ?? availableParallelism(),
      maxWaitMs: options.maxWaitMs ?? 20,
      maxQueue: options.maxQueue ?? 8,
      queueWindowMs: options.queueWindowMs ?? 10,
      memoryBudgetMb: options.memoryBudgetMb ?? defaultMemoryBudgetMb(),
      bindings: (version) => instanceBindings(options.bindings, version, egress),
      inline: options.inline ?? "never",
    });
    return new Runtime(pool, options.maxResponseBytes ?? 6 * 1024 * 1024);
  }

  /**
   * Loads a version in a fresh instance to prove it compiles and exports a handler; the instance stays warm.
   * Throws CapacityExceeded, before loading anything, when its minInstances could not be kept within the budget.
   */
  async prepare(version: VersionCode): Promise<HandlerStyle> {
    this.#pool.admit(version);
    // A deploy must not be refused because the live version is busy: preparing is not an invocation.
    const { instance } = await this.#pool.acquire(version, { bypassLimit: true });
    this.#pool.release(instance);
    return instance.style;
  }

  /**
   * Makes the version its function's provisioned one (call it once the version is live): its `minInstances` are
   * created now and kept warm, and any other version's are released. Throws CapacityExceeded when they cannot fit.
   */
  provision(version: VersionCode): Promise<void> {
    return this.#pool.provision(version);
  }

  /**
   * Drains a function's versions other than `keepVersion` (all of them after a removal): idle instances are disposed
   * now, busy ones once their invocations finish — which run to completion — and their minInstances are released.
   */
  retire(env: string, fn: string, keepVersion?: string): void {
    this.#pool.retire(env, fn, keepVersion);
  }

  /** Runs one invocation. Throws (before anything ran) only Throttled and CapacityExceeded. */
  async invoke(version: VersionCode, input: RuntimeInput, meta: InvocationMeta): Promise<RuntimeCall> {
    let acquired: { instance: Instance; cold: boolean };
    try {
      // A service call must not queue behind a busy instance: that may be its own caller (see pool.acquire).
      acquired = await this.#pool.acquire(version, { exclusive: (meta.depth ?? 0) > 0 });
    } catch (err) {
      if (err instanceof PaveError && (err.code === "Throttled" || err.code === "CapacityExceeded")) throw err;
      return failedToLoad(err);
    }
    let resolveResult!: (r: RuntimeResult) => void;
    const result = new Promise<RuntimeResult>((resolve) => {
      resolveResult = resolve;
    });
    const report = this.#run(acquired, version, input, meta, resolveResult);
    return { result, report };
  }

  /** Runs the invocation on the acquired instance; one lost behind a failing neighbour runs again on another. */
  async #run(
    acquired: { instance: Instance; cold: boolean },
    version: VersionCode,
    input: RuntimeInput,
    meta: InvocationMeta,
    resolveResult: (r: RuntimeResult) => void,
  ): Promise<RuntimeReport> {
    const { instance, cold } = acquired;
    let resultFailed = false;
    const settled = await instance.invoke(toInvocation(instance.style, input, meta, version), (outcome) => {
      let converted: RuntimeResult;
      try {
        converted = this.#convert(instance.style, input, outcome);
      } catch (err) {
        // Function code can sabotage its isolate's globals (say, JSON.stringify); the caller must still get an answer.
        const message = `the function's result is unreadable: ${err instanceof Error ? err.message : String(err)}`;
        converted = { kind: "error", code: "InvalidResponse", message };
      }
      resultFailed = converted.kind === "error";
      resolveResult(converted);
    });
    this.#pool.release(instance);
    if (settled.lost) {
      // It never started, so running it again is safe; it was admitted already, so the concurrency limit is not re-checked.
      let next: { instance: Instance; cold: boolean };
      try {
        next = await this.#pool.acquire(version, { bypassLimit: true, exclusive: (meta.depth ?? 0) > 0 });
      } catch (err) {
        const failed = failedToLoad(err);
        resolveResult(await failed.result);
        return failed.report;
      }
      // It never started: its time starts now, on the instance that runs it.
      return this.#run(next, version, input, { ...meta, deadline: Date.now() + version.timeoutMs }, resolveResult);
    }
    const lateFailure = settled.failure && !resultFailed ? settled.failure : undefined;
    return {
      cold,
      style: instance.style,
      ...(lateFailure && { lateFailure }),
      logs: settled.logs,
      logsDropped: settled.logsDropped,
      egress: settled.egress,
      spans: settled.spans,
      cpuMs: settled.cpuMs,
    };
  }

  stats(): PoolStats {
    return this.#pool.stats();
  }

  close(): void {
    this.#pool.close();
  }

  #convert(style: HandlerStyle, input: RuntimeInput, outcome: Outcome): RuntimeResult {
    if (outcome.kind === "error") return outcome;
    if (outcome.kind === "value") {
      const value: unknown = JSON.parse(outcome.json);
      if (input.kind === "queue") {
        // The web sandbox answers a QueueVerdict already; a Lambda handler's answer is read as SQS reads it.
        if (style === "web") return { kind: "value", value };
        const verdict = sqsVerdict(value, input.messages);
        if (typeof verdict === "string") return { kind: "error", code: "InvalidResponse", message: verdict };
        return { kind: "value", value: verdict };
      }
      if (input.kind !== "http") return { kind: "value", value };
      const http = lambdaResultToHttp(value);
      if (typeof http === "string") return { kind: "error", code: "InvalidResponse", message: http };
      return this.#checkSize(http);
    }
    return style === "web" || input.kind === "http" ? this.#checkSize(outcome) : outcome;
  }

  #checkSize(response: HttpResponse): RuntimeResult {
    const problem = responseProblem(response);
    if (problem) return { kind: "error", code: "InvalidResponse", message: problem };
    const body = response.body;
    const size = body === null ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
    if (size > this.#maxResponseBytes) {
      return {
        kind: "error",
        code: "InvalidResponse",
        message: `the response body is ${size} bytes; the limit is ${this.#maxResponseBytes}`,
      };
    }
    return response;
  }
}

/**
 * Half the host's memory: limits are worst cases that most instances never reach, and the other half is left to
 * Node itself, the store's cache, isolates' memory outside the V8 heap, and the rest of the machine.
 */
function defaultMemoryBudgetMb(): number {
  return Math.floor(totalmem() / 1024 / 1024 / 2);
}

/**
 * The sandbox's Response checks its fields, but function code can overwrite them after construction, so the host
 * checks what it is about to send: a bad status or header would otherwise throw in the gateway.
 */
function responseProblem(r: HttpResponse): string | undefined {
  if (typeof r.status !== "number" || !Number.isInteger(r.status) || r.status < 100 || r.status > 599) {
    return `the status must be an integer from 100 to 599, got ${String(r.status)}`;
  }
  const headers = headersProblem(r.headers);
  if (headers) return headers;
  if (r.body !== null && typeof r.body !== "string" && !(r.body instanceof Uint8Array)) {
    return "the body must be text or bytes";
  }
  return undefined;
}

/** The answer when no instance could load the version (it does not compile, has no handler, …). */
function failedToLoad(err: unknown): RuntimeCall {
  const failure = err instanceof PaveError ? err : new PaveError("FunctionError", String(err));
  const result: RuntimeResult = { kind: "error", code: failure.code as "FunctionError", message: failure.message };
  return {
    result: Promise.resolve(result),
    report: Promise.resolve({ cold: true, style: null, logs: [], logsDropped: 0, egress: [], spans: [], cpuMs: null }),
  };
}

function toInvocation(
  style: HandlerStyle,
  input: RuntimeInput,
  meta: InvocationMeta,
  version: VersionCode,
): Invocation {
  if (input.kind === "scheduled") {
    if (style === "web") return { kind: "scheduled", meta, cron: input.cron, scheduledTime: input.scheduledTime };
    const tick = { id: meta.id, env: version.env, function: version.function, scheduledTime: input.scheduledTime };
    return { kind: "event", meta, event: JSON.stringify(eventBridgeScheduledEvent(tick)), resultOptional: true };
  }
  if (input.kind === "queue") {
    if (style === "web") return { kind: "queue", meta, queue: input.queue, messages: input.messages };
    const event = sqsEvent(version.env, input.queue, input.messages, meta.id);
    return { kind: "event", meta, event: JSON.stringify(event), resultOptional: true };
  }
  if (input.kind === "http") {
    const h = input.http;
    if (style === "lambda") return { kind: "event", meta, event: JSON.stringify(apiGatewayEvent(h)) };
    return { kind: "fetch", meta, method: h.method, url: input.url, headers: h.headers, body: h.body };
  }
  if (style === "lambda") return { kind: "event", meta, event: JSON.stringify(input.payload ?? null) };
  // A direct invoke of a web-standard function is a POST of the payload as JSON to its root.
  return {
    kind: "fetch",
    meta,
    method: "POST",
    url: "http://localhost/",
    headers: [["content-type", "application/json"]],
    body: JSON.stringify(input.payload ?? null),
  };
}
