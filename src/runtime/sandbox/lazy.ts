// What most functions never touch is evaluated on first use, not in every cold start: esbuild turns each
// require() below into a module initialised when first called, and globals are getters that load them.

/** Resolved by esbuild at build time (sandbox-script.ts); nothing named `require` exists in the isolate. */
declare function require(id: string): unknown;

// Modules that import this one load through lazy-forms.ts instead, which keeps the imports free of cycles.

/** A module loaded on first `get()`; `loaded()` says whether it was, without loading it. */
export function lazyModule<T>(load: () => T): { get: () => T; loaded: () => T | undefined } {
  let mod: T | undefined;
  return { get: () => (mod ??= load()), loaded: () => mod };
}

// Each module exports one object: esbuild gives a required module an exports object at load, one property per export.
export const streams = lazyModule(() => (require("./streams.ts") as typeof import("./streams.ts")).Streams);
export const events = lazyModule(() => (require("./events.ts") as typeof import("./events.ts")).Events);
export const subtle = lazyModule(() => (require("./subtle.ts") as typeof import("./subtle.ts")).Subtle);
export const domExceptions = lazyModule(
  () => (require("./dom-exception.ts") as typeof import("./dom-exception.ts")).DOMException,
);

/** A DOMException; only error paths need one, so its class (and its 50 constants) load on first use. */
export function domException(message: string, name: string): Error {
  return new (domExceptions.get())(message, name);
}

/**
 * Defines `name` on `target` as WebIDL does (writable, configurable, not enumerable), built on first access: a
 * getter that replaces itself with a plain data property. Assigning first simply sets the value.
 */
export function defineLazy(target: object, name: string, build: () => unknown): void {
  const settle = (value: unknown) =>
    Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(target, name, {
    configurable: true,
    enumerable: false,
    get() {
      const value = build();
      settle(value);
      return value;
    },
    set: settle,
  });
}

/** Defines `name` on `target` as a plain WebIDL-style data property. */
export function defineValue(target: object, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
}
