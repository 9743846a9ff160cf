// Event, EventTarget (event-target-shim, a DOM-standard implementation), and AbortController / AbortSignal over
// them, loaded on first use. Listener exceptions are reported to the console, as a browser reports them.
import { reportError } from "./console.ts";
import { DOMException } from "./dom-exception.ts";
import { now } from "./performance.ts";

/** Resolved by esbuild at build time (sandbox-script.ts); nothing named `require` exists in the isolate. */
declare function require(id: string): unknown;

/**
 * Runs `load` with the named globals removed, then puts them back. A library that adopts existing globals while it
 * loads (event-target-shim does) would otherwise find the lazy getters that are loading it, and recurse.
 */
function withoutGlobals<T>(names: string[], load: () => T): T {
  const g = globalThis as Record<string, unknown>;
  const saved = names.map((name) => [name, Object.getOwnPropertyDescriptor(g, name)] as const);
  for (const name of names) delete g[name];
  try {
    return load();
  } finally {
    for (const [name, descriptor] of saved) if (descriptor) Object.defineProperty(g, name, descriptor);
  }
}

// The CommonJS build, kept inside one lazily called closure (see streams.ts). Loaded without our own Event and
// EventTarget globals in sight: the shim would adopt them as prototypes, and they are what is loading it.
const { getEventAttributeValue, setErrorHandler, setEventAttributeValue, setWarningHandler, ...shim } = withoutGlobals(
  ["Event", "EventTarget"],
  () => require("event-target-shim") as typeof import("event-target-shim"),
);
const ShimEvent = shim.Event;
const ShimEventTarget = shim.EventTarget;

setErrorHandler(reportError);
// The shim warns about misuse a browser accepts silently (say, adding a listener twice); so do we.
setWarningHandler(() => {});

class Event extends ShimEvent {
  #timeStamp = now();

  /** Milliseconds since the time origin, as performance.now() counts them (the shim uses the wall clock). */
  override get timeStamp(): number {
    return this.#timeStamp;
  }
}

class EventTarget extends ShimEventTarget {}

/** Marks the callers allowed to construct an AbortSignal (the constructor is not public). */
const INTERNAL = Symbol("internal");

/** Runs `algorithm` when `signal` aborts, before its abort event (function code cannot stop it); returns an undo. */
let followSignal: (signal: AbortSignal, algorithm: (reason: unknown) => void) => () => void;
/** The standard's "signal abort": sets the reason, runs the followers, fires `abort`. */
let signalAbort: (signal: AbortSignal, reason: unknown) => void;

class AbortSignal extends EventTarget {
  #aborted = false;
  #reason: unknown = undefined;
  /** Abort algorithms: dependants and fetches following this signal, run before the event fires. */
  #followers: ((reason: unknown) => void)[] = [];

  constructor(key?: unknown) {
    if (key !== INTERNAL) throw new TypeError("Illegal constructor");
    super();
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  throwIfAborted(): void {
    if (this.#aborted) throw this.#reason;
  }

  get onabort(): unknown {
    return getEventAttributeValue(this, "abort");
  }

  set onabort(value: unknown) {
    setEventAttributeValue(this, "abort", typeof value === "function" ? (value as () => void) : null);
  }

  static abort(reason?: unknown): AbortSignal {
    const signal = new AbortSignal(INTERNAL);
    signal.#aborted = true;
    signal.#reason = reason === undefined ? abortError() : reason;
    return signal;
  }

  static timeout(ms: unknown): AbortSignal {
    const delay = Number(ms);
    if (!Number.isFinite(delay) || delay < 0 || delay > Number.MAX_SAFE_INTEGER) {
      throw new TypeError(`AbortSignal.timeout: ${String(ms)} is not a valid number of milliseconds`);
    }
    const signal = new AbortSignal(INTERNAL);
    setTimeout(() => signalAbort(signal, new DOMException("The operation timed out.", "TimeoutError")), delay);
    return signal;
  }

  static any(signals: Iterable<AbortSignal>): AbortSignal {
    const list = [...signals];
    for (const s of list) if (!(s instanceof AbortSignal)) throw new TypeError("AbortSignal.any: not an AbortSignal");
    const result = new AbortSignal(INTERNAL);
    const aborted = list.find((s) => s.#aborted);
    if (aborted) {
      result.#aborted = true;
      result.#reason = aborted.#reason;
      return result;
    }
    for (const s of list) s.#followers.push((reason) => signalAbort(result, reason));
    return result;
  }

  static {
    followSignal = (signal, algorithm) => {
      signal.#followers.push(algorithm);
      return () => {
        const at = signal.#followers.indexOf(algorithm);
        if (at !== -1) signal.#followers.splice(at, 1);
      };
    };
    signalAbort = (signal, reason) => {
      if (signal.#aborted) return;
      signal.#aborted = true;
      signal.#reason = reason === undefined ? abortError() : reason;
      const followers = signal.#followers;
      signal.#followers = [];
      for (const run of followers) run(signal.#reason);
      signal.dispatchEvent(new Event("abort"));
    };
  }

  get [Symbol.toStringTag]() {
    return "AbortSignal";
  }
}

function abortError(): DOMException {
  return new DOMException("This operation was aborted", "AbortError");
}

class AbortController {
  readonly #signal = new AbortSignal(INTERNAL);

  get signal(): AbortSignal {
    return this.#signal;
  }

  abort(reason?: unknown): void {
    signalAbort(this.#signal, reason);
  }

  get [Symbol.toStringTag]() {
    return "AbortController";
  }
}

/** A signal that aborts when `parent` does (a request's own signal following the one it was given). */
function dependentSignal(parent: AbortSignal): AbortSignal {
  return AbortSignal.any([parent]);
}

export type { AbortSignal };

/** Everything this module offers, as one object (see lazy.ts). */
export const Events = { Event, EventTarget, AbortController, AbortSignal, followSignal, dependentSignal };
