// The Web globals inside a real isolate, each against its specification's own examples and known answers: base64,
// DOMException, crypto's randomness, timers, performance, structuredClone, events and abort signals, and what
// function code can (not) reach. Bodies and fetch are in web-fetch.test.ts, crypto.subtle in web-crypto.test.ts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import ivm from "isolated-vm";
import { type Harness, startHarness } from "./sandbox-harness.ts";

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

/** Runs `body` inside the sandbox; `catchName` turns a throw into its name (and code, if any). */
const run = (body: string) =>
  h.evaluate(
    `const caught = (f) => { try { f(); return "no error"; } catch (e) { return e.name + (e.code !== undefined ? "/" + e.code : ""); } };\n${body}`,
  );

describe("atob and btoa", () => {
  it("encode and decode RFC 4648's test vectors", async () => {
    const vectors = ["", "f", "fo", "foo", "foob", "fooba", "foobar"];
    const out = (await run(`return ${JSON.stringify(vectors)}.map((s) => [btoa(s), atob(btoa(s))]);`)) as string[][];
    assert.deepEqual(
      out.map(([b]) => b),
      ["", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"],
    );
    assert.deepEqual(
      out.map(([, back]) => back),
      vectors,
    );
  });

  it("decode forgivingly: whitespace, missing padding and trailing bits are accepted", async () => {
    assert.deepEqual(
      await run(`return [atob(" Zm9v\\nYmFy\\t"), atob("Zm9vYg"), atob("YR"), atob(null), btoa("\\xff\\xfe")];`),
      ["foobar", "foob", "a", "\x9e\xe9e", "//4="],
    );
  });

  it("refuse what is not base64, and characters beyond Latin-1, with InvalidCharacterError", async () => {
    const bad = ["Zm9vYg=", "Zm9vY", "Zm9v!A==", "Zm=9vg==", "Zg==="];
    assert.deepEqual(
      await run(
        `return [...${JSON.stringify(bad)}.map((s) => caught(() => atob(s))), caught(() => btoa("\\u0100")), caught(() => atob())];`,
      ),
      [...bad.map(() => "InvalidCharacterError/5"), "InvalidCharacterError/5", "TypeError"],
    );
  });
});

describe("DOMException", () => {
  it("has a name, a message, the legacy code and the code constants", async () => {
    assert.deepEqual(
      await run(`
        const e = new DOMException("gone", "NotFoundError");
        const plain = new DOMException();
        return [e.name, e.message, e.code, String(e), e instanceof Error, Object.prototype.toString.call(e),
          plain.name, plain.code, DOMException.NOT_FOUND_ERR, e.DATA_CLONE_ERR, new DOMException("x", "OperationError").code];`),
      ["NotFoundError", "gone", 8, "NotFoundError: gone", true, "[object DOMException]", "Error", 0, 8, 25, 0],
    );
  });
});

describe("crypto.getRandomValues and randomUUID", () => {
  it("fill integer arrays in place, up to 65536 bytes", async () => {
    const out = (await run(`
      const a = new Uint8Array(16);
      const same = crypto.getRandomValues(a) === a;
      // Every byte value turns up in 16 KiB of random bytes (a constant or zero filler would fail), across pool chunks.
      const seen = new Set();
      for (let i = 0; i < 4; i++) for (const b of crypto.getRandomValues(new Uint8Array(4096))) seen.add(b);
      const buf = new ArrayBuffer(12);
      crypto.getRandomValues(new Uint8Array(buf, 4, 4));
      const outside = [...new Uint8Array(buf, 0, 4), ...new Uint8Array(buf, 8, 4)];
      const big = crypto.getRandomValues(new Uint8Array(65536));
      return { same, seen: seen.size, outside, bigNonZero: big.some((b) => b !== 0),
        kinds: [new Uint16Array(32768), new Int32Array(4), new BigUint64Array(2), new Uint8ClampedArray(3)].map((x) => caught(() => crypto.getRandomValues(x))),
        quota: [caught(() => crypto.getRandomValues(new Uint8Array(65537))), caught(() => crypto.getRandomValues(new Uint32Array(16385)))],
        mismatch: [caught(() => crypto.getRandomValues(new Float32Array(4))), caught(() => crypto.getRandomValues(new DataView(new ArrayBuffer(4))))],
        notView: caught(() => crypto.getRandomValues([1, 2, 3])) };`)) as Record<string, unknown>;
    assert.equal(out.same, true);
    assert.equal(out.seen, 256);
    assert.deepEqual(out.outside, [0, 0, 0, 0, 0, 0, 0, 0], "only the view's bytes are written");
    assert.equal(out.bigNonZero, true);
    assert.deepEqual(out.kinds, ["no error", "no error", "no error", "no error"]);
    assert.deepEqual(out.quota, ["QuotaExceededError/22", "QuotaExceededError/22"]);
    assert.deepEqual(out.mismatch, ["TypeMismatchError/17", "TypeMismatchError/17"]);
    assert.equal(out.notView, "TypeError");
  });

  it("randomUUID gives distinct version 4, variant 10 UUIDs", async () => {
    const uuids = (await run(`return Array.from({ length: 5000 }, () => crypto.randomUUID());`)) as string[];
    for (const u of uuids) assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(new Set(uuids).size, uuids.length);
  });

  it("crypto is a Crypto whose constructor is not public", async () => {
    assert.deepEqual(
      await run(`return [crypto instanceof Crypto, caught(() => new Crypto()), crypto.subtle === crypto.subtle];`),
      [true, "TypeError", true],
    );
  });
});

describe("timers and microtasks", () => {
  it("run microtasks before timers, equal-delay timers in creation order, and each timer's microtasks before the next", async () => {
    assert.deepEqual(
      await run(`
        const log = [];
        setTimeout(() => {
          log.push("A");
          Promise.resolve().then(() => { log.push("a1"); return Promise.resolve(); }).then(() => { log.push("a2"); queueMicrotask(() => log.push("a3")); });
          setTimeout(() => log.push("C"), 0);
        }, 0);
        setTimeout((x, y) => log.push("B" + x + y), 0, 1, 2);
        Promise.resolve().then(() => log.push("m1"));
        queueMicrotask(() => log.push("m2"));
        log.push("sync");
        await new Promise((r) => setTimeout(r, 40));
        return log;`),
      ["sync", "m1", "m2", "A", "a1", "a2", "a3", "B12", "C"],
    );
  });

  it("orders timers by delay", async () => {
    assert.deepEqual(
      await run(`
        const log = [];
        setTimeout(() => log.push(30), 30);
        setTimeout(() => log.push(5), 5);
        setTimeout(() => log.push(15), 15);
        await new Promise((r) => setTimeout(r, 60));
        return log;`),
      [5, 15, 30],
    );
  });

  it("repeat intervals until cleared; clearing stops a timer, unknown ids are a no-op", async () => {
    assert.deepEqual(
      await run(`
        let ticks = 0;
        const id = setInterval(() => { ticks++; if (ticks === 3) clearInterval(id); }, 5);
        let fired = false;
        const t = setTimeout(() => { fired = true; }, 5);
        clearTimeout(t);
        clearTimeout(123456); clearTimeout(undefined); clearInterval("nope");
        const ids = [setTimeout(() => {}, 1), setInterval(() => {}, 1000)];
        clearInterval(ids[1]);
        await new Promise((r) => setTimeout(r, 80));
        return { ticks, fired, ids: ids.every((i) => Number.isInteger(i) && i > 0) && ids[0] !== ids[1], str: caught(() => setTimeout("1 + 1", 0)) };`),
      { ticks: 3, fired: false, ids: true, str: "TypeError" },
    );
  });

  it("report a throwing callback and keep going", async () => {
    const { value, logs } = await h.evaluateWithLogs(`
      const log = [];
      setTimeout(() => { throw new Error("timer boom"); }, 0);
      setTimeout(() => log.push("after"), 1);
      queueMicrotask(() => { throw new Error("microtask boom"); });
      queueMicrotask(() => log.push("next microtask"));
      await new Promise((r) => setTimeout(r, 30));
      return log;`);
    assert.deepEqual(value, ["next microtask", "after"]);
    const errors = logs.filter((l) => l.level === "error").map((l) => l.message);
    assert.ok(
      errors.some((m) => m.startsWith("Uncaught Error: timer boom")),
      JSON.stringify(errors),
    );
    assert.ok(
      errors.some((m) => m.startsWith("Uncaught Error: microtask boom")),
      JSON.stringify(errors),
    );
  });
});

describe("performance", () => {
  it("now() is monotonic milliseconds since the time origin", async () => {
    const out = (await run(`
      let last = -1, monotonic = true;
      for (let i = 0; i < 10000; i++) { const t = performance.now(); if (t < last) monotonic = false; last = t; }
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, 25));
      const waited = performance.now() - t0;
      const drift = Math.abs(performance.timeOrigin + performance.now() - Date.now());
      return { monotonic, waited, drift, json: performance.toJSON(), origin: performance.timeOrigin, isPerf: performance instanceof Performance };`)) as {
      monotonic: boolean;
      waited: number;
      drift: number;
      json: { timeOrigin: number };
      origin: number;
      isPerf: boolean;
    };
    assert.equal(out.monotonic, true);
    assert.ok(out.waited >= 20 && out.waited < 1000, `waited ${out.waited}`);
    assert.ok(out.drift <= 2, `drift ${out.drift}`);
    assert.deepEqual(out.json, { timeOrigin: out.origin });
    assert.ok(Math.abs(out.origin - Date.now()) < 60_000);
    assert.equal(out.isPerf, true);
  });
});

describe("structuredClone", () => {
  it("clones Map, Set, Date, RegExp, typed arrays, errors, BigInt, holes and cycles, keeping shared references", async () => {
    assert.deepEqual(
      await run(`
        const shared = { n: 1 };
        const buf = new ArrayBuffer(8);
        const o = { m: new Map([[shared, new Set([1, 2])]]), d: new Date(86400000), r: /a+b/gi, s: shared, t: shared,
          views: [new Uint8Array(buf, 2, 3), new Uint16Array(buf)], e: new RangeError("bad"), big: 12345678901234567890n,
          holes: [1, , 3], neg: -0, get g() { return "getter ran"; } };
        o.self = o;
        new Uint8Array(buf).set([1, 2, 3, 4, 5, 6, 7, 8]);
        const c = structuredClone(o);
        return [c !== o, c.self === c, c.s === c.t, c.s !== shared, c.m.get(c.s) instanceof Set, [...c.m.get(c.s)],
          c.d instanceof Date && c.d.toISOString(), c.r instanceof RegExp && c.r.source + "/" + c.r.flags,
          c.views[0].buffer === c.views[1].buffer, c.views[0].byteOffset, [...c.views[0]],
          c.e instanceof RangeError, c.e.message, typeof c.big === "bigint" && String(c.big), 1 in c.holes, c.holes.length,
          Object.is(c.neg, -0), Object.getOwnPropertyDescriptor(c, "g").value];`),
      [
        true,
        true,
        true,
        true,
        true,
        [1, 2],
        "1970-01-02T00:00:00.000Z",
        "a+b/gi",
        true,
        2,
        [3, 4, 5],
        true,
        "bad",
        "12345678901234567890",
        false,
        3,
        true,
        "getter ran",
      ],
    );
  });

  it("drops prototypes and transfers ArrayBuffers", async () => {
    assert.deepEqual(
      await run(`
        class Point { constructor() { this.x = 1; } get y() { return 2; } }
        const p = structuredClone(new Point());
        const buf = new Uint8Array([1, 2, 3]).buffer;
        const moved = structuredClone(buf, { transfer: [buf] });
        return [Object.getPrototypeOf(p) === Object.prototype, p.x, "y" in p, buf.byteLength, [...new Uint8Array(moved)]];`),
      [true, 1, false, 0, [1, 2, 3]],
    );
  });

  it("throws DataCloneError for functions, symbols and other uncloneable values", async () => {
    assert.deepEqual(
      await run(`return [() => {}, { f() {} }, Symbol("s"), { s: Symbol("s") }, new WeakMap(), Promise.resolve()]
        .map((v) => caught(() => structuredClone(v))).concat([caught(() => structuredClone())]);`),
      [
        "DataCloneError/25",
        "DataCloneError/25",
        "DataCloneError/25",
        "DataCloneError/25",
        "DataCloneError/25",
        "DataCloneError/25",
        "TypeError",
      ],
    );
  });

  it("lets an exception from a getter through", async () => {
    assert.equal(
      await run(`return caught(() => structuredClone({ get x() { throw new SyntaxError("mine"); } }));`),
      "SyntaxError",
    );
  });
});

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
