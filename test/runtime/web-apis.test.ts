// The Web globals inside a real isolate, each against its specification's own examples and known answers: base64,
// DOMException, crypto's randomness, timers, performance and structuredClone. Events, abort signals and what
// function code can reach are in web-globals.test.ts; bodies in web-bodies/web-fetch, crypto.subtle in web-crypto.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
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

  it("fires many equal-delay timers in creation order, however the host's wake-ups arrive", async () => {
    assert.equal(
      await run(`
        const fired = [];
        for (let i = 0; i < 300; i++) setTimeout(() => fired.push(i), i % 3);
        await new Promise((r) => setTimeout(r, 60));
        const byDelay = [0, 1, 2].map((d) => fired.filter((i) => i % 3 === d));
        return fired.length === 300 && byDelay.every((l) => l.every((v, k) => k === 0 || l[k - 1] < v));`),
      true,
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
        let third;
        const thirdTick = new Promise((r) => { third = r; });
        const id = setInterval(() => { ticks++; if (ticks === 3) { clearInterval(id); third(); } }, 5);
        let fired = false;
        const t = setTimeout(() => { fired = true; }, 5);
        clearTimeout(t);
        clearTimeout(123456); clearTimeout(undefined); clearInterval("nope");
        const ids = [setTimeout(() => {}, 1), setInterval(() => {}, 1000)];
        clearInterval(ids[1]);
        await thirdTick;
        // Cleared from its own callback: no fourth tick comes.
        await new Promise((r) => setTimeout(r, 40));
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
