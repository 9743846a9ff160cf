// performance.now() and timeOrigin. Millisecond resolution from the isolate's clock, made monotonic: a clock
// stepped backwards holds the value still instead of going back. (Workers coarsen timers too.)

/** Epoch milliseconds when this isolate's sandbox started: the instance's time origin. */
export const timeOrigin = Date.now();
let origin = timeOrigin;
let last = 0;

/** Milliseconds since the time origin; never decreases. */
export function now(): number {
  const t = Date.now() - origin;
  if (t < last) {
    origin -= last - t;
    return last;
  }
  last = t;
  return t;
}

export class Performance {
  constructor(key?: unknown) {
    if (key !== Performance) throw new TypeError("Illegal constructor");
  }

  get timeOrigin(): number {
    return timeOrigin;
  }

  now(): number {
    return now();
  }

  toJSON(): { timeOrigin: number } {
    return { timeOrigin };
  }

  get [Symbol.toStringTag]() {
    return "Performance";
  }
}

export const performance = new Performance(Performance);
