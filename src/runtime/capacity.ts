// The memory budget: live instances per version, the sum of their memory limits against the budget, and the
// floors that minInstances asks for (provisioned instances, whose memory stays reserved). Pool decides what to evict.
import { PaveError } from "../errors.ts";
import type { VersionCode } from "./instance.ts";

/** A function's live version and how many of its instances are kept warm. */
export interface Floor {
  key: string;
  version: VersionCode;
  min: number;
  /** After a failed load, the floor is not refilled before this time (ms epoch), so a bad load does not spin. */
  retryAt: number;
}

interface Live {
  version: VersionCode;
  count: number;
}

export class Capacity {
  /** The budget, in MB of memory limits. */
  readonly budgetMb: number;
  #inUseMb = 0;
  /** Live instances (idle, busy or starting) per version key. */
  readonly #live = new Map<string, Live>();
  /** The floor per function key (env/name); at most one version of a function is provisioned. */
  readonly #floors = new Map<string, Floor>();

  constructor(budgetMb: number) {
    this.budgetMb = budgetMb;
  }

  /** Sum of the memory limits of live instances. */
  get inUseMb(): number {
    return this.#inUseMb;
  }

  live(key: string): number {
    return this.#live.get(key)?.count ?? 0;
  }

  /** Version keys with live instances, with the version. */
  versions(): IterableIterator<[string, Live]> {
    return this.#live.entries();
  }

  add(key: string, version: VersionCode): void {
    const live = this.#live.get(key);
    if (live) live.count++;
    else this.#live.set(key, { version, count: 1 });
    this.#inUseMb += version.memoryMb;
  }

  remove(key: string): void {
    const live = this.#live.get(key);
    if (!live) return;
    this.#inUseMb -= live.version.memoryMb;
    if (--live.count <= 0) this.#live.delete(key);
  }

  /** How many instances of this version the floor keeps (0 when it is not provisioned). */
  floorOf(key: string): number {
    const floor = this.#floors.get(fnKeyOf(key));
    return floor?.key === key ? floor.min : 0;
  }

  floors(): IterableIterator<Floor> {
    return this.#floors.values();
  }

  floorOfFunction(fnKey: string): Floor | undefined {
    return this.#floors.get(fnKey);
  }

  /** Memory held free for floors that are short of instances (one was lost, or could not be created yet). */
  deficitMb(): number {
    let mb = 0;
    for (const f of this.#floors.values()) mb += Math.max(0, f.min - this.live(f.key)) * f.version.memoryMb;
    return mb;
  }

  /** Memory the floors ask for, in all. */
  provisionedMb(): number {
    let mb = 0;
    for (const f of this.#floors.values()) mb += f.min * f.version.memoryMb;
    return mb;
  }

  /**
   * Whether the instances counted now fit. An instance that fills a floor uses memory reserved for it, so it needs
   * only to fit in the budget; any other must also leave the other floors' reserved memory free.
   */
  fits(fillsFloor: boolean): boolean {
    return this.#inUseMb + (fillsFloor ? 0 : this.deficitMb()) <= this.budgetMb;
  }

  /** Throws CapacityExceeded when this version's floor, with every other function's, would not fit in the budget. */
  checkFloor(version: VersionCode): void {
    const min = version.minInstances ?? 0;
    if (min === 0) return;
    const fnKey = `${version.env}/${version.function}`;
    const need = min * version.memoryMb;
    let others = 0;
    for (const [k, f] of this.#floors) if (k !== fnKey) others += f.min * f.version.memoryMb;
    if (need + others <= this.budgetMb) return;
    const besides = others > 0 ? `, and other functions' minInstances already hold ${others} MB` : "";
    throw new PaveError(
      "CapacityExceeded",
      `${version.function} keeps ${min} instances of ${version.memoryMb} MB warm (minInstances): they need ${need} MB` +
        `${besides}, but the memory budget is ${this.budgetMb} MB; lower minInstances or memory, or raise the budget`,
      { details: { neededMb: need, provisionedElsewhereMb: others, budgetMb: this.budgetMb } },
    );
  }

  /** Makes this version its function's provisioned one (replacing any other version's floor); 0 removes the floor. */
  setFloor(version: VersionCode, key: string): void {
    const fnKey = `${version.env}/${version.function}`;
    const min = version.minInstances ?? 0;
    if (min === 0) this.#floors.delete(fnKey);
    else this.#floors.set(fnKey, { key, version, min, retryAt: 0 });
  }

  /** Removes the function's floor unless it is for `keepKey`. */
  clearFloor(fnKey: string, keepKey?: string): void {
    if (keepKey === undefined || this.#floors.get(fnKey)?.key !== keepKey) this.#floors.delete(fnKey);
  }

  clearFloors(): void {
    this.#floors.clear();
  }

  /** The CapacityExceeded for a new instance of `version` that did not fit after evicting every idle one it could. */
  exceeded(version: VersionCode): PaveError {
    const reserved = this.deficitMb();
    const held = this.#inUseMb;
    const reservedText = reserved > 0 ? ` and ${reserved} MB are reserved for minInstances` : "";
    return new PaveError(
      "CapacityExceeded",
      `no memory for another ${version.memoryMb} MB instance of ${version.function}: ${held} MB of the ${this.budgetMb} ` +
        `MB memory budget are held by busy or provisioned instances${reservedText}; retry shortly`,
      { details: { memoryMb: version.memoryMb, inUseMb: held, reservedMb: reserved, budgetMb: this.budgetMb } },
    );
  }
}

/** `env/name@id` → `env/name`. */
function fnKeyOf(key: string): string {
  return key.slice(0, key.lastIndexOf("@"));
}
