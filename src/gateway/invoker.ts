// Resolves a function name to the version its `live` alias points at, runs it, and records the activation.
// Shared by the HTTP gateway and the control API's direct invoke, so both leave the same record.
import { performance } from "node:perf_hooks";
import { v7 as uuidv7 } from "uuid";
import { type Manifest, versionCode } from "../deploy/index.ts";
import { errorCodes, PaveError, toErrorBody } from "../errors.ts";
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
import type { Activation, LogLine, Store, Trigger } from "../store/index.ts";
import type { ActivationRecorder, Metrics } from "../telemetry/index.ts";

/** How long a resolved alias is served before it is re-checked (in the background) against the store. */
const REVALIDATE_MS = 1000;

interface Resolved {
  code: VersionCode;
  /** The kill switch (`pave pause`), re-read with the alias: other nodes see a pause within REVALIDATE_MS. */
  paused: boolean;
  checkedAt: number;
  refreshing: boolean;
}

export interface InvokeIds {
  /** The activation's id, a UUIDv7: time-ordered, so "newest first" is an index scan. */
  activationId: string;
  traceId: string;
  correlationId: string;
  /** Service-call nesting: 0 for a trigger. @default 0 */
  depth?: number;
  /**
   * A refusal (Throttled, CapacityExceeded) is not recorded: the caller runs it again later under this same
   * activation id (an async invocation), and one id must name one activation. @default false
   */
  retriedOnRefusal?: boolean;
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
  readonly #resolved = new Map<string, Resolved>();
  readonly #metrics: Metrics | undefined;
  /** Invocations whose activation is not yet handed to the recorder (they may outlive their response: waitUntil). */
  readonly #unrecorded = new Set<Promise<void>>();

  constructor(deps: {
    store: Store;
    runtime: Runtime;
    recorder: ActivationRecorder;
    logger: Logger;
    metrics?: Metrics;
  }) {
    this.#store = deps.store;
    this.#runtime = deps.runtime;
    this.#recorder = deps.recorder;
    this.#logger = deps.logger;
    this.#metrics = deps.metrics;
  }

  /** Forgets what `live` pointed at, after a deploy or removal on this node. */
  invalidate(env: string, name: string): void {
    this.#resolved.delete(`${env}/${name}`);
  }

  /** The version alias `live` points at, as the runtime runs it (the server keeps its minInstances warm). */
  async live(env: string, name: string): Promise<VersionCode> {
    return (await this.#resolve(env, name)).code;
  }

  async invokeHttp(env: string, name: string, http: HttpInput, url: string, ids: InvokeIds): Promise<InvokeOutcome> {
    return this.#invoke(env, name, "http", { kind: "http", http, url }, ids);
  }

  async invokeDirect(env: string, name: string, payload: unknown, ids: InvokeIds): Promise<InvokeOutcome> {
    return this.#invoke(env, name, "invoke", { kind: "direct", payload }, ids);
  }

  /** A schedule's tick, recorded with trigger `schedule`; `scheduledTime` is when the tick was due (epoch ms). */
  async invokeScheduled(
    env: string,
    name: string,
    tick: { cron: string; scheduledTime: number },
    ids: InvokeIds,
  ): Promise<InvokeOutcome> {
    return this.#invoke(env, name, "schedule", { kind: "scheduled", ...tick }, ids);
  }

  /** A batch of a topic's events for a subscriber, recorded with trigger `topic`; the result holds a QueueVerdict. */
  async invokeQueue(
    env: string,
    name: string,
    batch: { queue: string; messages: QueueMessageData[] },
    ids: InvokeIds,
  ): Promise<InvokeOutcome> {
    return this.#invoke(env, name, "topic", { kind: "queue", ...batch }, ids);
  }

  /**
   * A function calling another through a service binding: the callee's activation shares the caller's trace and
   * correlation ids, one level deeper. Failures come back as the error responses the gateway would send.
   */
  async invokeService(call: ServiceCall): Promise<HttpResponse> {
    const { request, caller } = call;
    const url = new URL(request.url);
    const ids: InvokeIds = {
      activationId: uuidv7(),
      traceId: caller.traceId ?? "",
      correlationId: caller.correlationId ?? "",
      depth: (caller.depth ?? 0) + 1,
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
  ): Promise<InvokeOutcome> {
    const { code, paused } = await this.#resolve(env, name);
    if (paused) {
      throw new PaveError("FunctionPaused", `function ${name} is paused; \`pave resume ${name}\` lets it run again`);
    }
    const id = ids.activationId;
    const startedAt = Date.now();
    const t0 = performance.now();
    const meta = {
      id,
      functionName: name,
      functionVersion: code.id,
      memoryMb: code.memoryMb,
      deadline: startedAt + code.timeoutMs,
      traceId: ids.traceId,
      correlationId: ids.correlationId,
      depth: ids.depth ?? 0,
    };
    // What every record of this invocation says, however it ends.
    const identity = {
      id,
      env,
      function: name,
      version: code.id,
      trigger,
      startedAt,
      memoryMb: code.memoryMb,
      traceId: ids.traceId,
      correlationId: ids.correlationId,
    };
    let call: RuntimeCall;
    try {
      call = await this.#runtime.invoke(code, input, meta);
    } catch (err) {
      // Refused before anything ran (Throttled, CapacityExceeded): still on the record, at no cost.
      if (err instanceof PaveError && !ids.retriedOnRefusal) {
        this.#record(
          {
            ...identity,
            durationMs: 0,
            billedMs: 0,
            status: "error",
            errorCode: err.code,
            errorMessage: err.message,
            httpStatus: input.kind === "http" ? err.status : null,
            cold: false,
            logsDropped: 0,
            cpuMs: null,
            gbSeconds: 0,
            egress: [],
          },
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
      const activation: Activation = {
        ...identity,
        durationMs: Math.round(durationMs * 1000) / 1000,
        billedMs,
        status: failure ? "error" : "success",
        errorCode: failure?.code ?? null,
        errorMessage: failure?.message ?? null,
        httpStatus: input.kind === "http" ? (result.kind === "response" ? result.status : errorStatus(result)) : null,
        cold: report.cold,
        logsDropped: report.logsDropped,
        cpuMs: report.cpuMs,
        gbSeconds: (code.memoryMb / 1024) * (billedMs / 1000),
        egress: report.egress,
      };
      const logs: LogLine[] = report.logs.map((l) => ({
        activationId: id,
        env,
        function: name,
        version: code.id,
        ts: l.ts,
        level: l.level,
        message: l.message,
      }));
      this.#record(activation, logs);
    });
    const tracked = recorded
      .catch((err: unknown) => this.#logger.error({ err, activation: id }, "recording an activation failed"))
      .finally(() => this.#unrecorded.delete(tracked));
    this.#unrecorded.add(tracked);
    return { activationId: id, version: code.id, result, finished: tracked };
  }

  #record(activation: Activation, logs: LogLine[]): void {
    this.#metrics?.observe(activation);
    this.#recorder.record(activation, logs);
  }

  /** Resolves once every invocation started so far has handed its activation to the recorder (for a clean shutdown). */
  async drain(): Promise<void> {
    while (this.#unrecorded.size > 0) await Promise.allSettled([...this.#unrecorded]);
  }

  async #resolve(env: string, name: string): Promise<{ code: VersionCode; paused: boolean }> {
    const key = `${env}/${name}`;
    const cached = this.#resolved.get(key);
    if (cached) {
      if (!cached.refreshing && Date.now() - cached.checkedAt > REVALIDATE_MS) {
        cached.refreshing = true;
        void this.#load(env, name)
          .then(({ code, paused }) =>
            this.#resolved.set(key, {
              code: code.id === cached.code.id ? cached.code : code,
              paused,
              checkedAt: Date.now(),
              refreshing: false,
            }),
          )
          .catch((err: unknown) => {
            if (err instanceof PaveError && err.code === "FunctionNotFound") this.#resolved.delete(key);
            else {
              cached.refreshing = false;
              this.#logger.warn({ err, function: key }, "revalidating alias live failed; serving the cached version");
            }
          });
      }
      return cached;
    }
    const loaded = await this.#load(env, name);
    this.#resolved.set(key, { ...loaded, checkedAt: Date.now(), refreshing: false });
    return loaded;
  }

  async #load(env: string, name: string): Promise<{ code: VersionCode; paused: boolean }> {
    const [id, paused] = await Promise.all([this.#store.getAlias(env, name, "live"), this.#store.getPaused(env, name)]);
    const version = id === undefined ? undefined : await this.#store.getVersion(env, name, id);
    if (!version) throw new PaveError("FunctionNotFound", `no function ${name} in environment ${env}`);
    // Stored manifests were validated and normalised at deploy time.
    const manifest = JSON.parse(version.manifest) as Manifest;
    return { code: versionCode(env, name, version.id, manifest, version.bundle), paused: paused !== undefined };
  }
}

function errorStatus(result: RuntimeResult): number {
  return result.kind === "error" ? errorCodes[result.code].status : 200;
}

function errorResponse(err: unknown): HttpResponse {
  const { status, body } = toErrorBody(err);
  return { kind: "response", status, headers: [["content-type", "application/json"]], body: JSON.stringify(body) };
}
