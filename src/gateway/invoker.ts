// Resolves a function's alias through the router to one version, runs it, records the activation, and mirrors
// the request to the alias's shadow. Shared by the HTTP gateway and the control API's invoke: both leave one record.
import { performance } from "node:perf_hooks";
import { AliasRouter, type Route } from "../deploy/index.ts";
import { errorCodes, PaveError, toErrorBody } from "../errors.ts";
import { InFlight } from "../in-flight.ts";
import type { Logger } from "../logger.ts";
import type {
  HttpInput,
  HttpResponse,
  QueueMessageData,
  Runtime,
  RuntimeCall,
  RuntimeInput,
  RuntimeResult,
  ServiceCall,
  VersionCode,
} from "../runtime/index.ts";
import { spanClock } from "../runtime/index.ts";
import {
  type Activation,
  billedGbSeconds,
  type LogEntry,
  type Span,
  type Store,
  type Trigger,
} from "../store/index.ts";
import { type ActivationRecorder, type Metrics, newActivationIds } from "../telemetry/index.ts";
import { ShadowBudget, sameAnswer } from "./shadow.ts";

export interface InvokeIds {
  /** The activation's id, a UUIDv7: time-ordered, so "newest first" is an index scan. */
  activationId: string;
  traceId: string;
  /** The invocation's own span id. */
  spanId: string;
  /** The caller's span: from the request's `traceparent`, or the calling function's service span. */
  parentSpanId: string | null;
  /** The trace's W3C `tracestate`, passed on to the calls the function makes. */
  traceState: string | undefined;
  correlationId: string;
  /** Service-call nesting: 0 for a trigger. @default 0 */
  depth?: number;
  /** Refuse kv writes and publishes: a shadow invocation, or a service call one made. @default false */
  readOnly?: boolean;
  /**
   * A refusal (Throttled, CapacityExceeded) is not recorded: the caller runs it again later under this same
   * activation id (an async invocation), and one id must name one activation. @default false
   */
  retriedOnRefusal?: boolean;
}

/** Which alias serves a request, and the client key that makes its choice sticky. */
export interface Routing {
  /** @default "live" */
  alias?: string;
  /** From `x-pave-client` or the `pave-client` cookie: the same key gets the same version while the split holds. */
  clientKey?: string | undefined;
}

/** What a shadow invocation knows of the primary it mirrors. */
interface Mirror {
  of: string;
  primary: RuntimeResult;
}

export interface InvokeOutcome {
  activationId: string;
  version: string;
  result: RuntimeResult;
  /** Resolves once the invocation is over, waitUntil work included, and its activation is handed to the recorder. */
  finished: Promise<void>;
}

export class Invoker {
  readonly #store: Store;
  readonly #runtime: Runtime;
  readonly #recorder: ActivationRecorder;
  readonly #logger: Logger;
  readonly #router: AliasRouter;
  readonly #shadows = new ShadowBudget();
  readonly #metrics: Metrics | undefined;
  /** False only in the benchmark that measures what recording costs (ServerOptions.record). */
  readonly #recording: boolean;
  /** Invocations whose activation is not yet handed to the recorder (they may outlive their response: waitUntil). */
  readonly #unrecorded = new InFlight();
  /** Asked before every run: an error refuses it (a budget throttle). Must be O(1): it is on the hot path. */
  readonly #refuse: ((env: string, name: string) => PaveError | undefined) | undefined;

  constructor(deps: {
    store: Store;
    runtime: Runtime;
    recorder: ActivationRecorder;
    logger: Logger;
    metrics?: Metrics;
    record?: boolean;
    refuse?: (env: string, name: string) => PaveError | undefined;
  }) {
    this.#refuse = deps.refuse;
    this.#store = deps.store;
    this.#runtime = deps.runtime;
    this.#recorder = deps.recorder;
    this.#logger = deps.logger;
    this.#metrics = deps.metrics;
    this.#recording = deps.record ?? true;
    this.#router = new AliasRouter({ store: deps.store, logger: deps.logger });
  }

  /** Forgets where a function's aliases point, after a deploy, alias move or removal on this node. */
  invalidate(env: string, name: string): void {
    this.#router.invalidate(env, name);
  }

  /** The baseline version of alias `live`, as the runtime runs it (the server keeps its minInstances warm). */
  async live(env: string, name: string): Promise<VersionCode> {
    return ((await this.#router.resolve(env, name, "live")).split[0] as Route["split"][number]).code;
  }

  /** Mirrors of this function this node dropped because too much shadow work was in flight. */
  shadowsDropped(env: string, name: string): number {
    return this.#shadows.dropped(`${env}/${name}`);
  }

  async invokeHttp(
    env: string,
    name: string,
    http: HttpInput,
    url: string,
    ids: InvokeIds,
    routing: Routing = {},
  ): Promise<InvokeOutcome> {
    return this.#invoke(env, name, "http", { kind: "http", http, url }, ids, routing);
  }

  async invokeDirect(
    env: string,
    name: string,
    payload: unknown,
    ids: InvokeIds,
    routing: Routing = {},
  ): Promise<InvokeOutcome> {
    return this.#invoke(env, name, "invoke", { kind: "direct", payload }, ids, routing);
  }

  /** A schedule's tick, recorded with trigger `schedule`; `scheduledTime` is when the tick was due (epoch ms). */
  async invokeScheduled(
    env: string,
    name: string,
    tick: { cron: string; scheduledTime: number },
    ids: InvokeIds,
  ): Promise<InvokeOutcome> {
    return this.#invoke(env, name, "schedule", { kind: "scheduled", ...tick }, ids, {});
  }

  /** A batch of a topic's events for a subscriber, recorded with trigger `topic`; the result holds a QueueVerdict. */
  async invokeQueue(
    env: string,
    name: string,
    batch: { queue: string; messages: QueueMessageData[] },
    ids: InvokeIds,
  ): Promise<InvokeOutcome> {
    return this.#invoke(env, name, "topic", { kind: "queue", ...batch }, ids, {});
  }

  /**
   * A function calling another through a service binding: the callee's activation shares the caller's trace and
   * correlation ids, one level deeper, and its span is a child of the caller's service span. Failures come back as the
   * error responses the gateway would send.
   */
  async invokeService(call: ServiceCall): Promise<HttpResponse> {
    const { request, caller } = call;
    const url = new URL(request.url);
    const [activationId, , spanId] = newActivationIds();
    const ids: InvokeIds = {
      activationId,
      traceId: caller.traceId ?? "",
      spanId,
      parentSpanId: call.spanId ?? caller.spanId ?? null,
      traceState: caller.traceState,
      correlationId: caller.correlationId ?? "",
      depth: (caller.depth ?? 0) + 1,
      // A shadow's service calls are as read-only as the shadow itself.
      ...(caller.readOnly && { readOnly: true }),
    };
    const body = request.body === null ? null : Buffer.from(request.body);
    const http: HttpInput = {
      method: request.method,
      path: url.pathname,
      rawQuery: url.search.slice(1),
      headers: request.headers,
      body: body && body.length > 0 ? body : null,
      sourceIp: "",
      host: url.host,
      requestId: "",
      startedAt: Date.now(),
    };
    try {
      const { result, activationId } = await this.#invoke(
        call.env,
        call.target,
        "service",
        { kind: "http", http, url: url.href },
        ids,
        {},
      );
      if (result.kind === "response") return result;
      const err =
        result.kind === "error"
          ? new PaveError(result.code, result.message, { details: { activationId } })
          : new PaveError("Internal", "a service call produced no response");
      return errorResponse(err);
    } catch (err) {
      return errorResponse(err);
    }
  }

  async #invoke(
    env: string,
    name: string,
    trigger: Trigger,
    input: RuntimeInput,
    ids: InvokeIds,
    routing: Routing,
  ): Promise<InvokeOutcome> {
    const route = await this.#router.resolve(env, name, routing.alias ?? "live");
    if (route.paused) {
      throw new PaveError("FunctionPaused", `function ${name} is paused; \`pave resume ${name}\` lets it run again`);
    }
    const code = this.#router.choose(route, name, routing.clientKey);
    const outcome = await this.#run(env, name, code, trigger, input, ids, undefined);
    const shadow = route.shadow;
    if (shadow && (shadow.percent === 100 || Math.random() * 100 < shadow.percent)) {
      // After the primary's answer is handed back (the gateway sends it before this macrotask runs).
      setImmediate(() => this.#mirror(env, name, shadow, input, ids, outcome));
    }
    return outcome;
  }

  /** Runs a copy of the request on the shadow version, within the node's shadow budget; its answer is discarded. */
  #mirror(
    env: string,
    name: string,
    shadow: NonNullable<Route["shadow"]>,
    input: RuntimeInput,
    primaryIds: InvokeIds,
    primary: InvokeOutcome,
  ): void {
    if (!this.#shadows.take(`${env}/${name}`)) return;
    const [activationId, , spanId] = newActivationIds();
    const ids: InvokeIds = {
      activationId,
      traceId: primaryIds.traceId,
      // In the primary's trace, as its child: the waterfall shows the mirrored run beside the one that answered.
      spanId,
      parentSpanId: primaryIds.spanId,
      traceState: primaryIds.traceState,
      correlationId: primaryIds.correlationId,
      depth: primaryIds.depth ?? 0,
      readOnly: !shadow.writes,
    };
    const shadowed = this.#run(env, name, shadow.code, "shadow", input, ids, {
      of: primary.activationId,
      primary: primary.result,
    })
      // Refused (Throttled, CapacityExceeded) is on the record already; nothing else can reach a caller.
      .catch(() => undefined)
      .finally(() => this.#shadows.release());
    this.#unrecorded.track(shadowed);
  }

  async #run(
    env: string,
    name: string,
    code: VersionCode,
    trigger: Trigger,
    input: RuntimeInput,
    ids: InvokeIds,
    mirror: Mirror | undefined,
  ): Promise<InvokeOutcome> {
    const id = ids.activationId;
    const startedAt = Date.now();
    const t0 = performance.now();
    const spanStart = spanClock();
    const meta = {
      id,
      functionName: name,
      functionVersion: code.id,
      memoryMb: code.memoryMb,
      deadline: startedAt + code.timeoutMs,
      traceId: ids.traceId,
      spanId: ids.spanId,
      traceState: ids.traceState,
      correlationId: ids.correlationId,
      depth: ids.depth ?? 0,
      ...(ids.readOnly && { readOnly: true }),
    };
    const http = input.kind === "http" ? input.http : null;
    // What every record of this invocation says, however it ends.
    const identity: Identity = {
      id,
      env,
      function: name,
      version: code.id,
      trigger,
      startedAt,
      memoryMb: code.memoryMb,
      traceId: ids.traceId,
      correlationId: ids.correlationId,
      spanId: ids.spanId,
      parentSpanId: ids.parentSpanId,
      spanStartedAt: spanStart,
      httpMethod: http?.method,
      httpPath: http?.path,
      shadowOf: mirror?.of,
    };
    let call: RuntimeCall;
    try {
      const refused = this.#refuse?.(env, name);
      if (refused) throw refused;
      call = await this.#runtime.invoke(code, input, meta);
    } catch (err) {
      // Refused before anything ran (Throttled, CapacityExceeded, BudgetExceeded): still on the record, at no cost.
      if (err instanceof PaveError && !ids.retriedOnRefusal) {
        this.#record(
          toActivation(identity, {
            durationMs: 0,
            billedMs: 0,
            errorCode: err.code,
            errorMessage: err.message,
            httpStatus: input.kind === "http" ? err.status : null,
            cold: false,
            logsDropped: 0,
            cpuMs: null,
            egress: [],
            shadowMatch: null,
          }),
          [],
          [],
        );
      }
      throw err;
    }
    const result = await call.result;
    const recorded = call.report.then((report) => {
      const durationMs = performance.now() - t0;
      // Billed like Lambda: wall-clock duration rounded up to the next millisecond, times the memory granted.
      const billedMs = Math.max(1, Math.ceil(durationMs));
      const failure = result.kind === "error" ? result : report.lateFailure;
      const activation = toActivation(identity, {
        durationMs: Math.round(durationMs * 1000) / 1000,
        billedMs,
        errorCode: failure?.code ?? null,
        errorMessage: failure?.message ?? null,
        httpStatus: input.kind === "http" ? (result.kind === "response" ? result.status : errorStatus(result)) : null,
        cold: report.cold,
        logsDropped: report.logsDropped,
        cpuMs: report.cpuMs,
        egress: report.egress,
        shadowMatch: mirror ? sameAnswer(mirror.primary, result) : null,
      });
      this.#record(activation, report.logs, report.spans);
    });
    const tracked = recorded.catch((err: unknown) =>
      this.#logger.error({ err, activation: id }, "recording an activation failed"),
    );
    this.#unrecorded.track(tracked);
    return { activationId: id, version: code.id, result, finished: tracked };
  }

  /** Hands the activation (which holds its own span) to metrics and the recorder, with its binding calls' spans. */
  #record(activation: Activation, logs: readonly LogEntry[], children: Span[]): void {
    if (!this.#recording) return;
    this.#metrics?.observe(activation);
    this.#recorder.record(activation, logs, children);
  }

  /** Resolves once every invocation started so far has handed its activation to the recorder (for a clean shutdown). */
  drain(): Promise<void> {
    return this.#unrecorded.idle();
  }
}

/** What every record of an invocation says, however it ends. */
type Identity = Pick<
  Activation,
  | "id"
  | "env"
  | "function"
  | "version"
  | "trigger"
  | "startedAt"
  | "memoryMb"
  | "traceId"
  | "correlationId"
  | "spanId"
  | "parentSpanId"
  | "spanStartedAt"
  | "httpMethod"
  | "httpPath"
> & {
  shadowOf: string | undefined;
};

/** How an invocation ended: the rest of its activation. `errorCode` set means status `error`. */
type Ending = Pick<
  Activation,
  "durationMs" | "billedMs" | "errorCode" | "errorMessage" | "httpStatus" | "cold" | "logsDropped" | "cpuMs" | "egress"
> & { shadowMatch: boolean | null };

/**
 * One object literal naming every field, never `{ ...identity, … }`: on Node 20's V8 a spread followed by more
 * properties builds new hidden classes for every object, which cost ~20 µs per activation on the gateway's thread.
 */
function toActivation(i: Identity, e: Ending): Activation {
  const a: Activation = {
    id: i.id,
    env: i.env,
    function: i.function,
    version: i.version,
    trigger: i.trigger,
    startedAt: i.startedAt,
    durationMs: e.durationMs,
    billedMs: e.billedMs,
    memoryMb: i.memoryMb,
    status: e.errorCode === null ? "success" : "error",
    errorCode: e.errorCode,
    errorMessage: e.errorMessage,
    httpStatus: e.httpStatus,
    cold: e.cold,
    traceId: i.traceId,
    correlationId: i.correlationId,
    logsDropped: e.logsDropped,
    cpuMs: e.cpuMs,
    // Billed like Lambda: memory granted times billed duration.
    gbSeconds: billedGbSeconds(i.memoryMb, e.billedMs),
    egress: e.egress,
    spanId: i.spanId,
    parentSpanId: i.parentSpanId,
    spanStartedAt: i.spanStartedAt,
    httpMethod: i.httpMethod,
    httpPath: i.httpPath,
  };
  if (i.shadowOf !== undefined) {
    a.shadowOf = i.shadowOf;
    a.shadowMatch = e.shadowMatch;
  }
  return a;
}

function errorStatus(result: RuntimeResult): number {
  return result.kind === "error" ? errorCodes[result.code].status : 200;
}

function errorResponse(err: unknown): HttpResponse {
  const { status, body } = toErrorBody(err);
  return { kind: "response", status, headers: [["content-type", "application/json"]], body: JSON.stringify(body) };
}
