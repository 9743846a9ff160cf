// Every Web global function code sees, in one place: cheap ones defined at load, heavy ones as getters that load
// their module on first access (lazy.ts). docs/runtime-apis.md documents each; console and timers come at setup.
import { atob, btoa } from "./base64.ts";
import { Crypto, crypto } from "./crypto.ts";
import { TextDecoder, TextEncoder } from "./encoding.ts";
import { fetch } from "./fetch.ts";
import { Request, Response } from "./fetch-api.ts";
import { Headers } from "./headers.ts";
import { defineLazy, defineValue, domExceptions, events, streams, subtle } from "./lazy.ts";
import { forms } from "./lazy-forms.ts";
import { Performance, performance } from "./performance.ts";
import { structuredClone } from "./structured-clone.ts";
import { URL, URLSearchParams } from "./url.ts";

const STREAMS = [
  "ReadableStream",
  "ReadableStreamDefaultReader",
  "ReadableStreamBYOBReader",
  "ReadableStreamBYOBRequest",
  "ReadableStreamDefaultController",
  "ReadableByteStreamController",
  "WritableStream",
  "WritableStreamDefaultWriter",
  "WritableStreamDefaultController",
  "TransformStream",
  "TransformStreamDefaultController",
  "ByteLengthQueuingStrategy",
  "CountQueuingStrategy",
] as const;

const EVENTS = ["Event", "EventTarget", "AbortController", "AbortSignal"] as const;

/** Installs the Web globals on `g` (the isolate's global object), as WebIDL does: writable, configurable, hidden. */
export function installGlobals(g: object, report: (error: unknown) => void): void {
  const plain: Record<string, unknown> = {
    URL,
    URLSearchParams,
    TextEncoder,
    TextDecoder,
    Headers,
    Request,
    Response,
    fetch,
    atob,
    btoa,
    crypto,
    Crypto,
    performance,
    Performance,
    structuredClone,
    queueMicrotask: makeQueueMicrotask(report),
    self: g,
  };
  for (const name of Object.keys(plain)) defineValue(g, name, plain[name]);
  for (const name of STREAMS) defineLazy(g, name, () => streams.get()[name]);
  for (const name of EVENTS) defineLazy(g, name, () => events.get()[name]);
  defineLazy(g, "DOMException", () => domExceptions.get());
  defineLazy(g, "Blob", () => forms.get().Blob);
  defineLazy(g, "File", () => forms.get().File);
  defineLazy(g, "FormData", () => forms.get().FormData);
  defineLazy(g, "SubtleCrypto", () => subtle.get().SubtleCrypto);
  defineLazy(g, "CryptoKey", () => subtle.get().CryptoKey);
}

function makeQueueMicrotask(report: (error: unknown) => void) {
  // Captured now: function code may replace Promise later.
  const resolved = Promise.resolve();
  const then = Promise.prototype.then;
  return function queueMicrotask(callback: unknown): void {
    if (typeof callback !== "function") throw new TypeError("queueMicrotask: the callback must be a function");
    then.call(resolved, () => {
      try {
        callback();
      } catch (error) {
        report(error);
      }
    });
  };
}
