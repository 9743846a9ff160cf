// Which instance runs an invocation, and each function's concurrency limit: an idle one, else a queue behind a fresh
// busy one, else a cold start from a spare isolate booted ahead (see ARCHITECTURE.md beside this file).
import { PaveError } from "../errors.ts";
import type { InstanceBindings } from "./bindings/index.ts";
import { type Booted, boot, Instance, type LogLimits, type VersionCode } from "./instance.ts";
import type { SandboxScript } from "./sandbox-script.ts";

export interface PoolOptions {
  /** How long an idle instance is kept warm. @default 300000 */
  idleTtlMs: number;
  logLimits: LogLimits;
  /**
   * Spare isolates kept booted per memory size in use, so a cold start skips creating the isolate and loading the
   * sandbox (most of its cost). 0 disables. @default 2
   */
  spares: number;
  /**
   * Instances of one version beyond which a request waits (up to `maxWaitMs`) for a busy one to come free rather
   * than cold-starting another: more isolates than cores only adds switching. @default the number of CPUs
   */
  softInstanceLimit: number;
  /** @default 20 */
  maxWaitMs: number;
  /**
   * Invocations one instance may hold at once: the running one and those queued behind it. Queuing behind a fresh
   * (just started) invocation saves a cold start and, on isolated-vm, a thread wake-up per call. 1 disables. @default 8
   */
  maxQueue: number;
  /** Queue behind a running invocation only if it started less than this long ago (it is probably quick). @default 10 */
  queueWindowMs: number;
  /** A version's bindings for a new instance (secrets are read then). */
  bindings: (version: VersionCode) => Promise<InstanceBindings>;
}

export interface PoolStats {
  idle: number;
  busy: number;
  coldStarts: number;
}

export class InstancePool {
  readonly #sandbox: SandboxScript;
  readonly #options: PoolOptions;
  /** Idle instances by version key; the most recently used is at the end. */
  readonly #idle = new Map<string, Instance[]>();
  /** Invocations in flight by function key (env/name), for the concurrency limit. */
  readonly #inFlight = new Map<string, number>();
  /** Versions' compiled code caches, shared by every instance of the version. */
  readonly #code = new Map<string, VersionCode>();
  #busy = 0;
  #coldStarts = 0;
  #closed = false;
  /** Instances handed out (for one or more invocations) per version key, with how many each holds. */
  readonly #handed = new Map<string, Map<Instance, number>>();
  /** Live (idle or busy) instances per version key, and the requests waiting for one of them. */
  readonly #live = new Map<string, number>();
  readonly #waiters = new Map<string, ((instance: Instance | null) => void)[]>();
  /** Booted spare isolates by memory size, and how many are being booted. */
  readonly #spares = new Map<number, { ready: Booted[]; booting: number }>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(sandbox: SandboxScript, options: PoolOptions) {
    this.#sandbox = sandbox;
    this.#options = options;
    this.#sweeper = setInterval(() => this.sweep(Date.now()), Math.min(options.idleTtlMs, 10_000));
    this.#sweeper.unref();
  }

  /**
   * Takes an instance for one invocation, respecting the function's concurrency. Throws Throttled when at the limit.
   * `exclusive` takes an idle instance or starts one, never queueing behind (or waiting for) a busy one: a service
   * call's caller is busy waiting for it, and queueing a call behind its own caller would deadlock them.
   */
  async acquire(
    version: VersionCode,
    opts: { bypassLimit?: boolean; exclusive?: boolean } = {},
  ): Promise<{ instance: Instance; cold: boolean }> {
    const fnKey = `${version.env}/${version.function}`;
    const inFlight = this.#inFlight.get(fnKey) ?? 0;
    if (inFlight >= version.concurrency && !opts.bypassLimit) {
      throw new PaveError("Throttled", `${version.function} is at its concurrency limit of ${version.concurrency}`);
    }
    this.#inFlight.set(fnKey, inFlight + 1);
    this.#busy++;
    try {
      const key = versionKey(version);
      const warm = this.#idle.get(key)?.pop() ?? (opts.exclusive ? undefined : this.#queueable(key));
      if (warm) return { instance: this.#hand(warm), cold: false };
      if ((this.#live.get(key) ?? 0) >= this.#options.softInstanceLimit && !opts.bypassLimit && !opts.exclusive) {
        const handed = await this.#wait(key);
        if (handed) return { instance: this.#hand(handed), cold: false };
      }
      this.#coldStarts++;
      this.#live.set(key, (this.#live.get(key) ?? 0) + 1);
      let instance: Instance;
      try {
        const code = this.#codeFor(version);
        // Bindings first: if reading the secrets fails, no spare isolate has been taken.
        const bindings = await this.#options.bindings(code);
        instance = await Instance.create(code, await this.#spare(version.memoryMb), bindings);
      } catch (err) {
        this.#dropped(key);
        throw err;
      }
      // Replace the spare only now: booting competes for the same few isolate threads as this cold start.
      this.#refill(version.memoryMb);
      return { instance: this.#hand(instance), cold: true };
    } catch (err) {
      this.#done(fnKey);
      throw err;
    }
  }

  /** Takes back an instance after one of its invocations; when it holds none, to a waiting request or the idle list. */
  release(instance: Instance): void {
    this.#done(`${instance.version.env}/${instance.version.function}`);
    const key = versionKey(instance.version);
    const handed = this.#handed.get(key);
    const left = (handed?.get(instance) ?? 1) - 1;
    if (left > 0) {
      handed?.set(instance, left);
      // Room in its queue again: a request waiting for this version takes the place.
      const waiter = instance.disposed ? undefined : this.#waiters.get(key)?.shift();
      waiter?.(instance);
      return;
    }
    handed?.delete(instance);
    if (handed?.size === 0) this.#handed.delete(key);
    const waiter = this.#waiters.get(key)?.shift();
    // An instance released after close() must not stay alive with no sweeper to dispose it.
    if (instance.disposed || this.#closed) {
      instance.dispose();
      this.#dropped(key);
      waiter?.(null);
      return;
    }
    if (waiter) {
      waiter(instance);
      return;
    }
    const list = this.#idle.get(key);
    if (list) list.push(instance);
    else this.#idle.set(key, [instance]);
  }

  /** Records that an instance holds one more invocation. */
  #hand(instance: Instance): Instance {
    const key = versionKey(instance.version);
    let handed = this.#handed.get(key);
    if (!handed) {
      handed = new Map();
      this.#handed.set(key, handed);
    }
    handed.set(instance, (handed.get(instance) ?? 0) + 1);
    return instance;
  }

  /** A busy instance with room in its queue whose running invocation is fresh, the least loaded first. */
  #queueable(key: string): Instance | undefined {
    const handed = this.#handed.get(key);
    if (!handed || this.#options.maxQueue <= 1) return undefined;
    const now = Date.now();
    let best: Instance | undefined;
    let bestCount = this.#options.maxQueue;
    for (const [instance, count] of handed) {
      if (count < bestCount && !instance.disposed && now - instance.headSince <= this.#options.queueWindowMs) {
        best = instance;
        bestCount = count;
      }
    }
    return best;
  }

  /** Disposes every idle instance of a function (after a deploy or removal); busy ones finish and are then dropped. */
  retire(env: string, fn: string, keepVersion?: string): void {
    for (const [key, list] of this.#idle) {
      const v = list[0]?.version;
      if (!v || v.env !== env || v.function !== fn || v.id === keepVersion) continue;
      for (const i of list) {
        i.dispose();
        this.#dropped(key);
      }
      this.#idle.delete(key);
      this.#code.delete(key);
    }
  }

  sweep(now: number): void {
    for (const [key, list] of this.#idle) {
      const keep = list.filter((i) => {
        if (now - i.lastUsed < this.#options.idleTtlMs) return true;
        i.dispose();
        this.#dropped(key);
        return false;
      });
      if (keep.length === 0) this.#idle.delete(key);
      else this.#idle.set(key, keep);
    }
  }

  /** Waits up to maxWaitMs for a busy instance of this version; null means cold-start one after all. */
  #wait(key: string): Promise<Instance | null> {
    return new Promise((resolve) => {
      const queue = this.#waiters.get(key) ?? [];
      this.#waiters.set(key, queue);
      const timer = setTimeout(() => {
        const i = queue.indexOf(take);
        if (i !== -1) queue.splice(i, 1);
        resolve(null);
      }, this.#options.maxWaitMs);
      const take = (instance: Instance | null) => {
        clearTimeout(timer);
        resolve(instance);
      };
      queue.push(take);
    });
  }

  #dropped(key: string): void {
    const n = (this.#live.get(key) ?? 1) - 1;
    if (n <= 0) this.#live.delete(key);
    else this.#live.set(key, n);
  }

  /** A booted isolate of this size: a spare if one is ready, else a new one. */
  async #spare(memoryMb: number): Promise<Booted> {
    return this.#sparesOf(memoryMb).ready.pop() ?? boot(this.#sandbox, memoryMb, this.#options.logLimits);
  }

  #sparesOf(memoryMb: number): { ready: Booted[]; booting: number } {
    let spares = this.#spares.get(memoryMb);
    if (!spares) {
      spares = { ready: [], booting: 0 };
      this.#spares.set(memoryMb, spares);
    }
    return spares;
  }

  /** Boots spares of this size in the background until there are `spares` of them. */
  #refill(memoryMb: number): void {
    const spares = this.#sparesOf(memoryMb);
    while (!this.#closed && spares.ready.length + spares.booting < this.#options.spares) {
      spares.booting++;
      boot(this.#sandbox, memoryMb, this.#options.logLimits).then(
        (booted) => {
          spares.booting--;
          if (this.#closed) booted.isolate.dispose();
          else spares.ready.push(booted);
        },
        () => {
          // Booting a spare only fails when the process is out of resources; the next cold start boots inline.
          spares.booting--;
        },
      );
    }
  }

  stats(): PoolStats {
    let idle = 0;
    for (const list of this.#idle.values()) idle += list.length;
    return { idle, busy: this.#busy, coldStarts: this.#coldStarts };
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const list of this.#idle.values()) for (const i of list) i.dispose();
    this.#idle.clear();
    for (const { ready } of this.#spares.values()) for (const b of ready) b.isolate.dispose();
    this.#spares.clear();
  }

  #codeFor(version: VersionCode): VersionCode {
    const key = versionKey(version);
    let code = this.#code.get(key);
    if (!code) {
      code = { ...version };
      this.#code.set(key, code);
    }
    return code;
  }

  #done(fnKey: string): void {
    this.#busy--;
    const n = (this.#inFlight.get(fnKey) ?? 1) - 1;
    if (n <= 0) this.#inFlight.delete(fnKey);
    else this.#inFlight.set(fnKey, n);
  }
}

function versionKey(v: VersionCode): string {
  return `${v.env}/${v.function}@${v.id}`;
}
