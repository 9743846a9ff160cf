// Idle instances per version, in the order they came free: a request takes the most recently used (its caches are
// warmest), while eviction and idle expiry take the least recently used.
import type { Instance } from "./instance.ts";

export class IdleInstances {
  /** By version key; within a list, the most recently used is at the end. */
  readonly #byVersion = new Map<string, Instance[]>();
  /** When each instance came free, as a sequence number: comparable across versions, unlike a coarse clock. */
  readonly #since = new WeakMap<Instance, number>();
  #seq = 0;

  /** Takes the most recently used idle instance of the version. */
  take(key: string): Instance | undefined {
    const list = this.#byVersion.get(key);
    const instance = list?.pop();
    if (list?.length === 0) this.#byVersion.delete(key);
    return instance;
  }

  put(key: string, instance: Instance): void {
    this.#since.set(instance, ++this.#seq);
    const list = this.#byVersion.get(key);
    if (list) list.push(instance);
    else this.#byVersion.set(key, [instance]);
  }

  count(key: string): number {
    return this.#byVersion.get(key)?.length ?? 0;
  }

  get total(): number {
    let n = 0;
    for (const list of this.#byVersion.values()) n += list.length;
    return n;
  }

  keys(): IterableIterator<string> {
    return this.#byVersion.keys();
  }

  /** Takes every idle instance of the version. */
  takeAll(key: string): Instance[] {
    const list = this.#byVersion.get(key) ?? [];
    this.#byVersion.delete(key);
    return list;
  }

  /** Takes the least recently used idle instance among the versions `may` allows. */
  takeOldest(may: (key: string) => boolean): Instance | undefined {
    let oldest: { key: string; since: number } | undefined;
    for (const [key, list] of this.#byVersion) {
      const since = this.#sinceOf(list[0]);
      if ((!oldest || since < oldest.since) && list.length > 0 && may(key)) oldest = { key, since };
    }
    if (!oldest) return undefined;
    const list = this.#byVersion.get(oldest.key) as Instance[];
    const instance = list.shift();
    if (list.length === 0) this.#byVersion.delete(oldest.key);
    return instance;
  }

  /** Takes the instances last used at or before `cutoff` (ms epoch), oldest first, at most `max(key)` per version. */
  takeExpired(cutoff: number, max: (key: string) => number): Instance[] {
    const expired: Instance[] = [];
    for (const [key, list] of this.#byVersion) {
      let room = max(key);
      const keep = list.filter((i) => {
        if (room <= 0 || i.lastUsed > cutoff) return true;
        room--;
        expired.push(i);
        return false;
      });
      if (keep.length === 0) this.#byVersion.delete(key);
      else this.#byVersion.set(key, keep);
    }
    return expired;
  }

  /** Takes them all. */
  clear(): Instance[] {
    const all = [...this.#byVersion.values()].flat();
    this.#byVersion.clear();
    return all;
  }

  #sinceOf(instance: Instance | undefined): number {
    return instance ? (this.#since.get(instance) ?? 0) : 0;
  }
}
