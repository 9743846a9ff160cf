// Resolves a function name to the version its `live` alias points at, runs it, and records the activation.
// Shared by the HTTP gateway and the control API's direct invoke, so both leave the same record.
import { performance } from "node:perf_hooks";
import type { Manifest } from "../deploy/index.ts";
import { errorCodes, PaveError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { HttpInput, Runtime, RuntimeInput, RuntimeResult, VersionCode } from "../runtime/index.ts";
import type { Activation, LogLine, Store, Trigger } from "../store/index.ts";
import type { ActivationRecorder } from "../telemetry/index.ts";

/** How long a resolved alias is served before it is re-checked (in the background) against the store. */
const REVALIDATE_MS = 1000;

interface Resolved {
  code: VersionCode;
  checkedAt: number;
  refreshing: boolean;
}

export interface InvokeIds {
  /** The activation's id, a UUIDv7: time-ordered, so "newest first" is an index scan. */
  activationId: string;
  traceId: string;
  correlationId: string;
}

export interface InvokeOutcome {
  activationId: string;
  version: string;
  result: RuntimeResult;
}

export class Invoker {
  readonly #store: Store;
  readonly #runtime: Runtime;
  readonly #recorder: ActivationRecorder;
  readonly #logger: Logger;
  readonly #resolved = new Map<string, Resolved>();
  /** Invocations whose activation is not yet handed to the recorder (they may outlive their response: waitUntil). */
  readonly #unrecorded = new Set<Promise<void>>();

  constructor(deps: { store: Store; runtime: Runtime; recorder: ActivationRecorder; logger: Logger }) {
    this.#store = deps.store;
    this.#runtime = deps.runtime;
    this.#recorder = deps.recorder;
    this.#logger = deps.logger;
  }

  /** Forgets what `live` pointed at, after a deploy or removal on this node. */
  invalidate(env: string, name: string): void {
    this.#resolved.delete(`${env}/${name}`);
  }

  /** The version alias `live` points at, as the runtime runs it (the server keeps its minInstances warm). */
  live(env: string, name: string): Promise<VersionCode> {
    return this.#resolve(env, name);
  }

  async invokeHttp(env: string, name: string, http: HttpInput, url: string, ids: InvokeIds): Promise<InvokeOutcome> {
    return this.#invoke(env, name, "http", { kind: "http", http, url }, ids);
  }

  async invokeDirect(env: string, name: string, payload: unknown, ids: InvokeIds): Promise<InvokeOutcome> {
    return this.#invoke(env, name, "invoke", { kind: "direct", payload }, ids);
  }

  async #invoke(
    env: string,
    name: string,
    trigger: Trigger,
    input: RuntimeInput,
    ids: InvokeIds,
  ): Promise<InvokeOutcome> {
    const code = await this.#resolve(env, name);
    const id = ids.activationId;
    const startedAt = Date.now();
    const t0 = performance.now();
    const meta = {
      id,
      functionName: name,
      functionVersion: code.id,
      memoryMb: code.memoryMb,
      deadline: startedAt + code.timeoutMs,
    };
    const call = await this.#runtime.invoke(code, input, meta);
    const result = await call.result;
    const recorded = call.report.then((report) => {
      const durationMs = performance.now() - t0;
      const failure = result.kind === "error" ? result : report.lateFailure;
      const activation: Activation = {
        id,
        env,
        function: name,
        version: code.id,
        trigger,
        startedAt,
        durationMs: Math.round(durationMs * 1000) / 1000,
        // Billed like Lambda: wall-clock duration rounded up to the next millisecond.
        billedMs: Math.max(1, Math.ceil(durationMs)),
        memoryMb: code.memoryMb,
        status: failure ? "error" : "success",
        errorCode: failure?.code ?? null,
        errorMessage: failure?.message ?? null,
        httpStatus: input.kind === "http" ? (result.kind === "response" ? result.status : errorStatus(result)) : null,
        cold: report.cold,
        traceId: ids.traceId,
        correlationId: ids.correlationId,
        logsDropped: report.logsDropped,
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
      this.#recorder.record(activation, logs);
    });
    const tracked = recorded
      .catch((err: unknown) => this.#logger.error({ err, activation: id }, "recording an activation failed"))
      .finally(() => this.#unrecorded.delete(tracked));
    this.#unrecorded.add(tracked);
    return { activationId: id, version: code.id, result };
  }

  /** Resolves once every invocation started so far has handed its activation to the recorder (for a clean shutdown). */
  async drain(): Promise<void> {
    while (this.#unrecorded.size > 0) await Promise.allSettled([...this.#unrecorded]);
  }

  async #resolve(env: string, name: string): Promise<VersionCode> {
    const key = `${env}/${name}`;
    const cached = this.#resolved.get(key);
    if (cached) {
      if (!cached.refreshing && Date.now() - cached.checkedAt > REVALIDATE_MS) {
        cached.refreshing = true;
        void this.#load(env, name)
          .then((code) =>
            this.#resolved.set(key, {
              code: code.id === cached.code.id ? cached.code : code,
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
      return cached.code;
    }
    const code = await this.#load(env, name);
    this.#resolved.set(key, { code, checkedAt: Date.now(), refreshing: false });
    return code;
  }

  async #load(env: string, name: string): Promise<VersionCode> {
    const id = await this.#store.getAlias(env, name, "live");
    const version = id === undefined ? undefined : await this.#store.getVersion(env, name, id);
    if (!version) throw new PaveError("FunctionNotFound", `no function ${name} in environment ${env}`);
    // Stored manifests were validated and normalised at deploy time.
    const manifest = JSON.parse(version.manifest) as Manifest;
    return {
      env,
      function: name,
      id: version.id,
      memoryMb: manifest.memory,
      timeoutMs: manifest.timeout,
      concurrency: manifest.concurrency,
      minInstances: manifest.minInstances ?? 0, // absent from manifests stored before the key existed
      bundle: version.bundle,
    };
  }
}

function errorStatus(result: RuntimeResult): number {
  return result.kind === "error" ? errorCodes[result.code].status : 200;
}
