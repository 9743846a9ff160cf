// setTimeout and friends over one host `sleep` per timer tick. The wait happens on the host's event loop; the order
// is the sandbox's own, because host wake-ups may reach the isolate out of order: each wake-up runs, as its own
// task, the earliest due timer. Pending timers never keep an invocation open (only ctx.waitUntil does).
import { now } from "./performance.ts";

type Sleep = (ms: number) => Promise<unknown>;

/** The HTML standard's timer delay: a WebIDL `long` (so NaN and Infinity are 0), never negative. */
const delayOf = (ms: unknown): number => Math.max(0, Number(ms) | 0);

interface Timer {
  id: number;
  fn: (...args: unknown[]) => void;
  args: unknown[];
  delay: number;
  repeat: boolean;
  /** When it is due (performance.now() milliseconds), then the order it was armed in: the firing order. */
  due: number;
  seq: number;
  /** The invocation that set it ("" for the module's load): its timers end with it. */
  owner: string;
}

/**
 * The timer globals. Timers fire by due time, equal ones in the order they were set; each callback is its own task,
 * so microtasks queued by one run before the next. An id is shared by timeouts and intervals, and clearing an
 * unknown one is a no-op. A throwing callback is reported, as a browser reports it.
 */
export function makeTimers(sleep: Sleep, report: (error: unknown) => void, currentOwner: () => string) {
  let nextId = 1;
  let nextSeq = 0;
  const live = new Map<number, Timer>();

  const before = (a: Timer, b: Timer) => a.due < b.due || (a.due === b.due && a.seq < b.seq);

  /**
   * One host wake-up of `owner`, armed to be due at `horizon`: runs the earliest live timer due by then, which is the
   * owner unless wake-ups arrived out of order. A timer never runs early (its due time is at most the horizon the host
   * has waited for). If an earlier timer took the wake-up, the owner gets another one, a task of its own.
   */
  const wake = (owner: Timer, seq: number, horizon: number): void => {
    let first: Timer | undefined;
    for (const t of live.values()) if (t.due <= horizon && (first === undefined || before(t, first))) first = t;
    if (!first) return;
    if (first.repeat) arm(first);
    else live.delete(first.id);
    // Still waiting, and this was its current wake-up (not one from before an interval re-armed).
    if (first !== owner && owner.seq === seq && live.get(owner.id) === owner) {
      void sleep(0).then(() => wake(owner, seq, horizon));
    }
    try {
      first.fn(...first.args);
    } catch (error) {
      report(error);
    }
  };

  const arm = (t: Timer): void => {
    t.due = now() + t.delay;
    t.seq = nextSeq++;
    const { seq, due } = t;
    void sleep(t.delay).then(() => wake(t, seq, due));
  };

  const schedule = (fn: unknown, ms: unknown, args: unknown[], repeat: boolean): number => {
    if (typeof fn !== "function") {
      throw new TypeError("The callback must be a function (string callbacks are not evaluated)");
    }
    const id = nextId++;
    const timer: Timer = {
      id,
      fn: fn as Timer["fn"],
      args,
      delay: delayOf(ms),
      repeat,
      due: 0,
      seq: 0,
      owner: currentOwner(),
    };
    live.set(id, timer);
    arm(timer);
    return id;
  };
  const clear = (id: unknown) => void live.delete(Number(id) | 0);

  return {
    globals: {
      setTimeout: (fn: unknown, ms?: unknown, ...args: unknown[]) => schedule(fn, ms, args, false),
      setInterval: (fn: unknown, ms?: unknown, ...args: unknown[]) => schedule(fn, ms, args, true),
      clearTimeout: clear,
      clearInterval: clear,
    },
    /**
     * Cancels the timers an invocation left pending when it ended (after its waitUntil work): they would otherwise
     * fire during a later invocation, run its code for no one, and log under its id. Keep work alive with waitUntil.
     */
    cancelOwnedBy(owner: string): void {
      for (const [id, t] of live) if (t.owner === owner) live.delete(id);
    },
  };
}
