// setTimeout and friends over one host `sleep` per timer tick: the wait happens on the host's event loop, and
// each callback runs in its own task, so microtasks queued by one run before the next timer. Pending timers
// never keep an invocation open (only ctx.waitUntil does).

type Sleep = (ms: number) => Promise<unknown>;

/** The HTML standard's timer delay: a WebIDL `long` (so NaN and Infinity are 0), never negative. */
const delayOf = (ms: unknown): number => Math.max(0, Number(ms) | 0);

/**
 * The timer globals. Equal delays fire in creation order (the host's timers do); an id is shared by timeouts and
 * intervals, and clearing an unknown one is a no-op. A throwing callback is reported, as a browser reports it.
 */
export function makeTimers(sleep: Sleep, report: (error: unknown) => void) {
  let nextId = 1;
  const live = new Set<number>();

  const schedule = (fn: unknown, ms: unknown, args: unknown[], repeat: boolean): number => {
    if (typeof fn !== "function") {
      throw new TypeError("The callback must be a function (string callbacks are not evaluated)");
    }
    const id = nextId++;
    const delay = delayOf(ms);
    live.add(id);
    const tick = (): void => {
      void sleep(delay).then(() => {
        if (!live.has(id)) return;
        if (!repeat) live.delete(id);
        try {
          (fn as (...a: unknown[]) => void)(...args);
        } catch (error) {
          report(error);
        }
        if (repeat && live.has(id)) tick();
      });
    };
    tick();
    return id;
  };
  const clear = (id: unknown) => void live.delete(Number(id) | 0);

  return {
    setTimeout: (fn: unknown, ms?: unknown, ...args: unknown[]) => schedule(fn, ms, args, false),
    setInterval: (fn: unknown, ms?: unknown, ...args: unknown[]) => schedule(fn, ms, args, true),
    clearTimeout: clear,
    clearInterval: clear,
  };
}
