// Events and abort signals inside a real isolate, how the Web globals are installed (lazily, hidden, exactly the
// documented set), and that function code cannot reach the host's bridges from anything the global object offers.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import ivm from "isolated-vm";
import { type Harness, startHarness } from "./sandbox-harness.ts";

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

/** Runs `body` inside the sandbox; `caught(f)` turns a throw into its name (and code, if any). */
const run = (body: string) =>
  h.evaluate(
    `const caught = (f) => { try { f(); return "no error"; } catch (e) { return e.name + (e.code !== undefined ? "/" + e.code : ""); } };\n${body}`,
  );

describe("EventTarget and Event", () => {
  it("dispatch to listeners in order, honour once, removal, signal and stopImmediatePropagation", async () => {
    assert.deepEqual(
      await run(`
        const t = new EventTarget();
        const log = [];
        const second = () => log.push("second");
        const ac = new AbortController();
        t.addEventListener("ping", (e) => log.push("first:" + e.type + ":" + (e.target === t)));
        t.addEventListener("ping", second);
        t.addEventListener("ping", { handleEvent: () => log.push("object") }, { once: true });
        t.addEventListener("ping", () => log.push("signalled"), { signal: ac.signal });
        t.dispatchEvent(new Event("ping"));
        t.removeEventListener("ping", second);
        ac.abort();
        t.dispatchEvent(new Event("ping"));
        t.addEventListener("stop", (e) => { log.push("stopper"); e.stopImmediatePropagation(); });
        t.addEventListener("stop", () => log.push("never"));
        t.dispatchEvent(new Event("stop"));
        return log;`),
      ["first:ping:true", "second", "object", "signalled", "first:ping:true", "stopper"],
    );
  });

  it("cancel only cancelable events, and time-stamp them from the time origin", async () => {
    assert.deepEqual(
      await run(`
        const t = new EventTarget();
        t.addEventListener("x", (e) => e.preventDefault());
        const plain = new Event("x");
        const cancelable = new Event("x", { cancelable: true });
        const results = [t.dispatchEvent(plain), plain.defaultPrevented, t.dispatchEvent(cancelable), cancelable.defaultPrevented];
        const before = performance.now();
        const e = new Event("y");
        return [...results, e.timeStamp >= before && e.timeStamp <= performance.now(), e.bubbles, new Event("z", { bubbles: true }).bubbles];`),
      [true, false, false, true, true, false, true],
    );
  });

  it("report a listener's exception and still call the others", async () => {
    const { value, logs } = await h.evaluateWithLogs(`
      const t = new EventTarget();
      const log = [];
      t.addEventListener("x", () => { throw new Error("listener boom"); });
      t.addEventListener("x", () => log.push("still called"));
      t.dispatchEvent(new Event("x"));
      return log;`);
    assert.deepEqual(value, ["still called"]);
    assert.ok(
      logs.some((l) => l.level === "error" && l.message.startsWith("Uncaught Error: listener boom")),
      JSON.stringify(logs),
    );
  });
});

describe("AbortController and AbortSignal", () => {
  it("abort once, with a DOMException AbortError unless given a reason", async () => {
    assert.deepEqual(
      await run(`
        const ac = new AbortController();
        const log = [];
        ac.signal.onabort = (e) => log.push("onabort:" + e.type);
        ac.signal.addEventListener("abort", () => log.push("listener"));
        const before = [ac.signal.aborted, String(ac.signal.reason), caught(() => ac.signal.throwIfAborted())];
        ac.abort();
        ac.abort("again");
        const custom = new AbortController();
        custom.abort("why");
        let thrown;
        try { custom.signal.throwIfAborted(); } catch (e) { thrown = e; }
        return [before, ac.signal.aborted, ac.signal.reason instanceof DOMException, ac.signal.reason.name, log,
          custom.signal.reason, thrown, caught(() => new AbortSignal()), ac.signal instanceof EventTarget];`),
      [
        [false, "undefined", "no error"],
        true,
        true,
        "AbortError",
        ["onabort:abort", "listener"],
        "why",
        "why",
        "TypeError",
        true,
      ],
    );
  });

  it("AbortSignal.abort, AbortSignal.timeout and AbortSignal.any", async () => {
    assert.deepEqual(
      await run(`
        const aborted = AbortSignal.abort();
        const withReason = AbortSignal.abort("stop");
        const timed = AbortSignal.timeout(10);
        const early = timed.aborted;
        let timeoutEvents = 0;
        timed.addEventListener("abort", () => timeoutEvents++);
        const a = new AbortController(), b = new AbortController();
        const any = AbortSignal.any([a.signal, b.signal]);
        b.abort("b went");
        await new Promise((r) => setTimeout(r, 50));
        return [aborted.aborted, aborted.reason.name, withReason.reason, early, timed.aborted, timed.reason.name, timed.reason.code,
          timeoutEvents, any.aborted, any.reason, AbortSignal.any([withReason]).reason,
          caught(() => AbortSignal.timeout(-1)), caught(() => AbortSignal.timeout(NaN))];`),
      [
        true,
        "AbortError",
        "stop",
        false,
        true,
        "TimeoutError",
        23,
        1,
        true,
        "b went",
        "stop",
        "TypeError",
        "TypeError",
      ],
    );
  });
});

describe("globals", () => {
  it("install heavy ones lazily: a getter until first use, then a plain hidden data property", async () => {
    assert.deepEqual(
      await run(`
        const d = (n) => Object.getOwnPropertyDescriptor(globalThis, n);
        const before = typeof d("ReadableStream").get;
        const S = ReadableStream;
        const after = d("ReadableStream");
        globalThis.Blob = "mine";
        return [before, after.value === S, after.writable, after.enumerable, typeof after.get, Blob,
          Object.keys(globalThis).filter((k) => ["fetch", "ReadableStream", "crypto", "console", "setTimeout"].includes(k))];`),
      ["function", true, true, false, "undefined", "mine", []],
    );
  });

  it("are exactly V8's built-ins plus the documented Web globals", async () => {
    const names = (await run(`return Object.getOwnPropertyNames(globalThis);`)) as string[];
    const isolate = new ivm.Isolate({ memoryLimit: 16 });
    const builtins = (await (
      await isolate.createContext()
    ).eval(`Object.getOwnPropertyNames(globalThis)`, {
      copy: true,
    })) as string[];
    isolate.dispose();
    // The bundle's `var __pave_module` cannot be deleted; the sandbox empties it once it has the handler.
    const web = names.filter((n) => !builtins.includes(n) && n !== "__pave_module").sort();
    assert.deepEqual(web, [...WEB_GLOBALS].sort());
  });
});

/** Every Web global docs/runtime-apis.md documents as supported. */
const WEB_GLOBALS = [
  "AbortController",
  "AbortSignal",
  "Blob",
  "ByteLengthQueuingStrategy",
  "CountQueuingStrategy",
  "Crypto",
  "CryptoKey",
  "DOMException",
  "Event",
  "EventTarget",
  "File",
  "FormData",
  "Headers",
  "Performance",
  "ReadableByteStreamController",
  "ReadableStream",
  "ReadableStreamBYOBReader",
  "ReadableStreamBYOBRequest",
  "ReadableStreamDefaultController",
  "ReadableStreamDefaultReader",
  "Request",
  "Response",
  "SubtleCrypto",
  "TextDecoder",
  "TextEncoder",
  "TransformStream",
  "TransformStreamDefaultController",
  "URL",
  "URLSearchParams",
  "WritableStream",
  "WritableStreamDefaultController",
  "WritableStreamDefaultWriter",
  "atob",
  "btoa",
  "clearInterval",
  "clearTimeout",
  "crypto",
  "fetch",
  "performance",
  "process",
  "queueMicrotask",
  "self",
  "setInterval",
  "setTimeout",
  "structuredClone",
];

/**
 * Walks everything reachable from the global object in a few steps (properties, prototypes, the values getters
 * return) and lists the native functions and isolated-vm objects it finds, by path. Run in the sandbox and in a bare
 * isolate: a bridge left reachable would be a native function or an isolated-vm object only the sandbox has.
 */
const WALK = `(() => {
  const found = new Set();
  const seen = new Set();
  const IVM = new Set(["Reference", "Callback", "ExternalCopy", "Isolate", "Context", "Script", "Module", "NativeModule"]);
  const visit = (value, path, depth) => {
    if ((typeof value !== "object" && typeof value !== "function") || value === null || seen.has(value)) return;
    seen.add(value);
    if (typeof value === "function" && Function.prototype.toString.call(value).includes("[native code]")) found.add(path);
    let ctor;
    try { ctor = value.constructor && value.constructor.name; } catch {}
    if (IVM.has(ctor)) found.add(path + " (isolated-vm " + ctor + ")");
    if (depth === 0) return;
    for (const key of Reflect.ownKeys(value)) {
      const name = path + "." + String(key);
      let d;
      try { d = Object.getOwnPropertyDescriptor(value, key); } catch { continue; }
      if (!d) continue;
      let v = d.value;
      if (d.get) { visit(d.get, name + "[get]", depth - 1); try { v = Reflect.get(value, key); } catch {} }
      if (d.set) visit(d.set, name + "[set]", depth - 1);
      visit(v, name, depth - 1);
    }
    visit(Object.getPrototypeOf(value), path + ".__proto__", depth - 1);
  };
  visit(globalThis, "globalThis", 4);
  return [...found].sort();
})()`;

describe("function code and the host", () => {
  it("cannot reach __pave_setup or any bridge from the global object", async () => {
    const inSandbox = (await run(`
      // Touch every lazy global first, so the walk sees the loaded modules.
      for (const k of Object.getOwnPropertyNames(globalThis)) void globalThis[k];
      await crypto.subtle.digest("SHA-256", new Uint8Array(1));
      return { setup: typeof __pave_setup, module: typeof __pave_module, native: ${WALK} };`)) as {
      setup: string;
      module: string;
      native: string[];
    };
    const isolate = new ivm.Isolate({ memoryLimit: 32 });
    const bare = (await (await isolate.createContext()).eval(WALK, { copy: true })) as string[];
    isolate.dispose();
    assert.equal(inSandbox.setup, "undefined");
    assert.equal(inSandbox.module, "undefined");
    const extra = inSandbox.native.filter((p) => !bare.includes(p));
    assert.deepEqual(
      extra,
      [],
      "native functions or isolated-vm objects reachable in the sandbox, not in a bare isolate",
    );
  });
});
