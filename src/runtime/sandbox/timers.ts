// setTimeout and friends over one host `sleep`: the wait happens on the host's event loop, the callback
// runs back in the isolate. Pending timers never keep an invocation open (only ctx.waitUntil does).

type Sleep = (ms: number) => Promise<unknown>;

export function makeTimers(sleep: Sleep) {
  let nextId = 1;
  const live = new Set<number>();

  const schedule = (fn: unknown, ms: unknown, args: unknown[], repeat: boolean): number => {
    if (typeof fn !== "function") throw new TypeError("The callback must be a function");
    const id = nextId++;
    const delay = Math.max(0, Number(ms) || 0);
    live.add(id);
    const tick = (): void => {
      void sleep(delay).then(() => {
        if (!live.has(id)) return;
        if (!repeat) live.delete(id);
        (fn as (...a: unknown[]) => void)(...args);
        if (repeat && live.has(id)) tick();
      });
    };
    tick();
    return id;
  };

  return {
    setTimeout: (fn: unknown, ms?: unknown, ...args: unknown[]) => schedule(fn, ms, args, false),
    setInterval: (fn: unknown, ms?: unknown, ...args: unknown[]) => schedule(fn, ms, args, true),
    clearTimeout: (id: unknown) => void live.delete(Number(id)),
    clearInterval: (id: unknown) => void live.delete(Number(id)),
  };
}
