// A clock tests move on by hand: the scheduler's timers run when `advance` passes their time, never on their own,
// so a test about minutes of cron ticks runs in milliseconds and in a known order.
import type { SchedulerClock } from "../../src/triggers/index.ts";

export class FakeClock implements SchedulerClock {
  #now: number;
  #next = 1;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(now: number) {
    this.#now = now;
  }

  now = (): number => this.#now;

  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  };

  clearTimeout = (handle: unknown): void => {
    this.#timers.delete(handle as number);
  };

  /** Moves time on by `ms`, running each timer due on the way at its own time, earliest first. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const t of this.#timers) if (t[1].at <= target && (!due || t[1].at < due[1].at)) due = t;
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].fn();
    }
    this.#now = target;
  }

  /** Jumps to `at` without running anything: time that passed while no node was up. */
  set(at: number): void {
    this.#now = at;
  }
}
