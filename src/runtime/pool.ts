// Which instance runs an invocation, and what stays warm: an idle one, else a queue behind a fresh busy one, else a
// cold start within the memory budget (evicting idle instances, least recently used first); minInstances floors.
import { PaveError } from "../errors.ts";
import type { InstanceBindings } from "./bindings/index.ts";
import { Capacity } from "./capacity.ts";
import { IdleInstances } from "./idle.ts";
import { type InlineMode, Instance, type LogLimits, type VersionCode } from "./instance.ts";
import type { SandboxScript } from "./sandbox-script.ts";
import { Spares } from "./spares.ts";
import type { PoolStats, VersionStats } from "./stats.ts";

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
   * Busy instances of one version beyond which a request queues behind a fresh busy one rather than taking an idle
   * one, and waits (up to `maxWaitMs`) for a busy one to come free rather than cold-starting another: more isolates
   * running than cores only adds switching. @default the number of CPUs
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
  /** See RuntimeOptions.inline. */
  inline: InlineMode;
  /**
   * The most memory live instances may hold, as the sum of their memory limits (spares excluded). A cold start that
   * would pass it first evicts idle instances, least recently used first; if that is not enough it fails with
   * CapacityExceeded. @default half of the host's memory
   */
  memoryBudgetMb: number;
}

/** How long a floor waits before trying again to create an instance whose load failed. */
const FLOOR_RETRY_MS = 1000;

export class InstancePool {
  readonly #options: PoolOptions;
  readonly #idle = new IdleInstances();
  /** Invocations in flight by function key (env/name), for the concurrency limit. */
  readonly #inFlight = new Map<string, number>();
  /** Versions' compiled code caches, shared by every instance of the version. */
  readonly #code = new Map<string, VersionCode>();
  #invocations = 0;
  #coldStarts = 0;
  #evictions = 0;
  #expirations = 0;
  #refusals = 0;
  #closed = false;
  /** Instances handed out (for one or more invocations) per version key, with how many each holds. */
  readonly #handed = new Map<string, Map<Instance, number>>();
  /** Live instances per version, their memory and the minInstances floors. */
  readonly #capacity: Capacity;
  /** Instances counted in #capacity, so that dropping one is counted once however many paths see it go. */
  readonly #counted = new Set<Instance>();
  /** Instances that took a spare isolate which is not replaced yet: done at their first release (see #create). */
  readonly #refillOwed = new WeakSet<Instance>();
  /** Versions replaced by a newer one or removed: their instances are disposed when released. */
  readonly #retired = new Set<string>();
  /** Requests waiting for a busy instance of a version. */
  readonly #waiters = new Map<string, ((instance: Instance | null) => void)[]>();
  #replenishQueued = false;
  readonly #spares: Spares;
  readonly #sweeper: NodeJS.Timeout;

  constructor(sandbox: SandboxScript, options: PoolOptions) {
    this.#options = options;
    this.#capacity = new Capacity(options.memoryBudgetMb);
    this.#spares = new Spares(sandbox, options.spares, options.logLimits);
    this.#sweeper = setInterval(() => this.sweep(Date.now()), Math.min(options.idleTtlMs, 10_000));
    this.#sweeper.unref();
  }

  /**
   * Takes an instance for one invocation, respecting the function's concurrency. Throws Throttled when at the limit,
   * CapacityExceeded when a cold start is needed and the memory budget has no room even after evicting idle instances.
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
    this.#invocations++;
    try {
      const key = versionKey(version);
      const warm = opts.exclusive
        ? this.#idle.take(key)
        : ((this.#crowded(key) ? this.#queueable(key) : undefined) ?? this.#idle.take(key) ?? this.#queueable(key));
      if (warm) return { instance: this.#hand(warm), cold: false };
      if (this.#capacity.live(key) >= this.#options.softInstanceLimit && !opts.bypassLimit && !opts.exclusive) {
        const handed = await this.#wait(key);
        if (handed) return { instance: this.#hand(handed), cold: false };
      }
      if (!this.#reserve(version)) {
        this.#refusals++;
        throw this.#capacity.exceeded(version);
      }
      this.#coldStarts++;
      return { instance: this.#hand(await this.#create(version)), cold: true };
    } catch (err) {
      this.#done(fnKey);
      throw err;
    }
  }

  /** Takes back an instance after one of its invocations; when it holds none, to a waiting request or the idle list. */
  release(instance: Instance): void {
    if (this.#refillOwed.delete(instance)) this.#spares.refill(instance.version.memoryMb);
    this.#done(`${instance.version.env}/${instance.version.function}`);
    const key = versionKey(instance.version);
    // A disposed isolate's memory is free now, even while stranded neighbours are still coming back through here.
    if (instance.disposed) this.#drop(instance);
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
    this.#park(instance);
  }

  /** Puts an instance that holds no invocation to use: a waiting request, the idle list, or disposal. */
  #park(instance: Instance): void {
    const key = versionKey(instance.version);
    const waiter = this.#waiters.get(key)?.shift();
    // An instance released after close() must not stay alive with no sweeper to dispose it.
    if (instance.disposed || this.#closed) {
      this.#discard(instance);
      waiter?.(null);
      return;
    }
    if (waiter) {
      waiter(instance);
      return;
    }
    // A retired version's instance finished its last invocation: nothing new will be sent to it.
    if (this.#retired.has(key)) {
      this.#discard(instance);
      return;
    }
    this.#idle.put(key, instance);
    // An idle instance can be evicted: a floor short of memory may now be filled.
    if (this.#capacity.deficitMb() > 0) this.#scheduleReplenish();
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

  /**
   * Whether this version already keeps `softInstanceLimit` isolates busy: then a fresh busy one's queue is preferred
   * to an idle instance. More isolates running at once than cores only adds switching, and past isolated-vm's thread
   * pool (cores + 1 threads) each call into another isolate starts a new OS thread: measured at concurrency 16 on 2
   * cores, 3× the host CPU per invocation (96 → 33 µs on the main thread) when every call went to its own idle isolate.
   */
  #crowded(key: string): boolean {
    return (this.#handed.get(key)?.size ?? 0) >= this.#options.softInstanceLimit;
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

  /**
   * Counts a new instance of the version against the memory budget, evicting idle instances (least recently used
   * first, never below a floor) until it fits. False, counting nothing, when it cannot fit.
   */
  #reserve(version: VersionCode): boolean {
    const key = versionKey(version);
    const fillsFloor = this.#capacity.live(key) < this.#capacity.floorOf(key);
    this.#capacity.add(key, version);
    while (!this.#capacity.fits(fillsFloor)) {
      if (this.#evictOne(key)) continue;
      this.#capacity.remove(key);
      return false;
    }
    return true;
  }

  /** Loads the version in a (spare) isolate, for an instance already reserved; un-reserves it if loading fails. */
  async #create(version: VersionCode): Promise<Instance> {
    let instance: Instance;
    try {
      const code = this.#codeFor(version);
      // Bindings first: if reading the secrets fails, no spare isolate has been taken.
      const bindings = await this.#options.bindings(code);
      instance = await Instance.create(code, await this.#spares.take(version.memoryMb), bindings, this.#options.inline);
    } catch (err) {
      this.#capacity.remove(versionKey(version));
      this.#spares.refill(version.memoryMb);
      throw err;
    }
    this.#counted.add(instance);
    // Not used yet, but new: it must not look idle since the epoch to the sweeper.
    instance.lastUsed = Date.now();
    // The spare it took is replaced once its first invocation is over (see release): booting one takes the event
    // loop and isolate threads for a few ms, which the cold start would otherwise wait behind.
    this.#refillOwed.add(instance);
    return instance;
  }

  /** Disposes the least recently used idle instance that is not needed by a floor (nor of `exceptKey`). */
  #evictOne(exceptKey: string): boolean {
    const victim = this.#idle.takeOldest(
      (key) => key !== exceptKey && this.#capacity.live(key) > this.#capacity.floorOf(key),
    );
    if (!victim) return false;
    this.#discard(victim);
    this.#evictions++;
    return true;
  }

  /**
   * Makes this version its function's provisioned one: `minInstances` of its instances are kept warm — never expired
   * nor evicted, re-created when lost — and any other version's floor is released. Resolves when they are created, or
   * when the budget has no room for the rest yet (they are created as memory frees). Throws CapacityExceeded when the
   * floors alone would not fit in the budget.
   */
  async provision(version: VersionCode): Promise<void> {
    const key = versionKey(version);
    this.#retired.delete(key);
    this.#capacity.checkFloor(version);
    this.#capacity.setFloor(version, key);
    await this.#replenish();
  }

  /** Throws CapacityExceeded if this version's minInstances could never be kept (before anything is loaded). */
  admit(version: VersionCode): void {
    this.#retired.delete(versionKey(version));
    this.#capacity.checkFloor(version);
  }

  /** Refills floors once the current synchronous work (say, an eviction inside a reservation) is done. */
  #scheduleReplenish(): void {
    if (this.#replenishQueued || this.#closed) return;
    this.#replenishQueued = true;
    queueMicrotask(() => {
      this.#replenishQueued = false;
      void this.#replenish();
    });
  }

  /** Creates instances for floors that are short of them, as far as the budget allows. */
  async #replenish(): Promise<void> {
    if (this.#closed) return;
    const now = Date.now();
    const creating: Promise<void>[] = [];
    for (const floor of this.#capacity.floors()) {
      if (floor.retryAt > now) continue;
      while (this.#capacity.live(floor.key) < floor.min && this.#reserve(floor.version)) {
        creating.push(
          this.#create(floor.version).then(
            (instance) => this.#park(instance),
            () => {
              // The version loaded at deploy; a later failure is transient (a slow machine): try again later.
              floor.retryAt = Date.now() + FLOOR_RETRY_MS;
            },
          ),
        );
      }
    }
    await Promise.all(creating);
  }

  /**
   * Retires a function's versions other than `keepVersion` (after a deploy) or all of them (after a removal): idle
   * instances are disposed now, busy ones when their invocations finish, and their floors are released.
   */
  retire(env: string, fn: string, keepVersion?: string): void {
    const fnKey = `${env}/${fn}`;
    const keep = keepVersion === undefined ? undefined : `${fnKey}@${keepVersion}`;
    this.#capacity.clearFloor(fnKey, keep);
    const keys = new Set([...this.#idle.keys(), ...[...this.#capacity.versions()].map(([k]) => k)]);
    for (const key of keys) {
      if (!key.startsWith(`${fnKey}@`) || key === keep) continue;
      for (const i of this.#idle.takeAll(key)) this.#discard(i);
      this.#code.delete(key);
      if (this.#capacity.live(key) > 0) this.#retired.add(key);
    }
    this.#scheduleReplenish();
  }

  /** Disposes instances idle for `idleTtlMs`, oldest first, never taking a version below its floor. */
  sweep(now: number): void {
    const expired = this.#idle.takeExpired(
      now - this.#options.idleTtlMs,
      (key) => this.#capacity.live(key) - this.#capacity.floorOf(key),
    );
    for (const i of expired) this.#discard(i);
    this.#expirations += expired.length;
    this.#scheduleReplenish();
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

  /** Disposes an instance and gives its memory back; a floor that lost one gets it re-created. */
  #discard(instance: Instance): void {
    instance.dispose();
    this.#drop(instance);
  }

  #drop(instance: Instance): void {
    if (!this.#counted.delete(instance)) return;
    const key = versionKey(instance.version);
    this.#capacity.remove(key);
    if (this.#capacity.live(key) === 0) this.#retired.delete(key);
    if (this.#capacity.deficitMb() > 0) this.#scheduleReplenish();
  }

  stats(): PoolStats {
    let idle = 0;
    let live = 0;
    let provisioned = 0;
    const versions: VersionStats[] = [];
    for (const [key, { version, count }] of this.#capacity.versions()) {
      const idleHere = this.#idle.count(key);
      idle += idleHere;
      live += count;
      versions.push({
        env: version.env,
        function: version.function,
        version: version.id,
        memoryMb: version.memoryMb,
        idle: idleHere,
        busy: count - idleHere,
        minInstances: this.#capacity.floorOf(key),
        retired: this.#retired.has(key),
      });
    }
    for (const floor of this.#capacity.floors()) provisioned += floor.min;
    return {
      idle,
      busy: live - idle,
      invocations: this.#invocations,
      coldStarts: this.#coldStarts,
      evictions: this.#evictions,
      expirations: this.#expirations,
      capacityRefusals: this.#refusals,
      memoryMb: this.#capacity.inUseMb,
      memoryBudgetMb: this.#capacity.budgetMb,
      provisioned,
      provisionedMb: this.#capacity.provisionedMb(),
      spares: this.#spares.ready,
      versions,
    };
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#sweeper);
    this.#capacity.clearFloors();
    for (const i of this.#idle.clear()) this.#discard(i);
    this.#spares.close();
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
    this.#invocations--;
    const n = (this.#inFlight.get(fnKey) ?? 1) - 1;
    if (n <= 0) this.#inFlight.delete(fnKey);
    else this.#inFlight.set(fnKey, n);
  }
}

function versionKey(v: VersionCode): string {
  return `${v.env}/${v.function}@${v.id}`;
}
