// Headers, Request, Response and their bodies (text, bytes, Blob, FormData, URLSearchParams, ReadableStream), and
// fetch() with deny-all egress — inside a real isolate, against the Fetch standard's rules and examples.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { HttpResponse } from "../../src/runtime/index.ts";
import { type Harness, startHarness } from "./sandbox-harness.ts";

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

const PRELUDE = `
const caught = (f) => { try { f(); return "no error"; } catch (e) { return e.name; } };
const rejection = async (p) => { try { await p; return "resolved"; } catch (e) { return e.name + ": " + e.message; } };
const text = (s) => new TextEncoder().encode(s);
`;
const run = (body: string) => h.evaluate(PRELUDE + body);

describe("Headers", () => {
  it("combines values, ignores case, sorts when iterating and keeps Set-Cookie apart", async () => {
    assert.deepEqual(
      await run(`
        const hs = new Headers({ "Content-Type": "text/plain" });
        hs.append("Accept", "text/html");
        hs.append("accept", "application/json");
        hs.append("Set-Cookie", "a=1");
        hs.append("Set-Cookie", "b=2");
        hs.set("X-Trim", "  padded\\t");
        const before = [hs.get("ACCEPT"), hs.get("set-cookie"), hs.getSetCookie(), hs.has("x-trim"), hs.get("missing")];
        hs.delete("content-type");
        return [before, [...hs], [...new Headers([["b", "2"], ["a", "1"]]).keys()], [...new Headers(hs)].length];`),
      [
        ["text/html, application/json", "a=1, b=2", ["a=1", "b=2"], true, null],
        [
          ["accept", "text/html, application/json"],
          ["set-cookie", "a=1"],
          ["set-cookie", "b=2"],
          ["x-trim", "padded"],
        ],
        ["a", "b"],
        4,
      ],
    );
  });

  it("refuses invalid names and values", async () => {
    assert.deepEqual(
      await run(`return [
        caught(() => new Headers({ "bad name": "v" })),
        caught(() => new Headers({ a: "one\\r\\ntwo" })),
        caught(() => new Headers({ a: "\\u2713" })),
        caught(() => new Headers([["a", "b", "c"]])),
        caught(() => new Headers({ a: "caf\\u00e9" })),
      ];`),
      ["TypeError", "TypeError", "TypeError", "TypeError", "no error"],
    );
  });
});

describe("Request", () => {
  it("normalises methods as the Fetch standard says and refuses forbidden ones", async () => {
    assert.deepEqual(
      await run(`
        const m = (method) => { try { return new Request("https://example.com/", { method }).method; } catch (e) { return e.name; } };
        return ["get", "Post", "patch", "CUSTOM", "connect", "TRACE", "bad method", ""].map(m);`),
      ["GET", "POST", "patch", "CUSTOM", "TypeError", "TypeError", "TypeError", "TypeError"],
    );
  });

  it("refuses bodies on GET and HEAD, relative URLs, credentials, and streams without duplex", async () => {
    assert.deepEqual(
      await run(`return [
        caught(() => new Request("https://example.com/", { body: "x" })),
        caught(() => new Request("https://example.com/", { method: "HEAD", body: "x" })),
        caught(() => new Request("/relative")),
        caught(() => new Request("https://user:pw@example.com/")),
        caught(() => new Request("https://example.com/", { method: "POST", body: new ReadableStream() })),
        caught(() => new Request("https://example.com/", { method: "POST", body: new ReadableStream(), duplex: "half" })),
        caught(() => new Request("https://example.com/", { redirect: "sometimes" })),
      ];`),
      ["TypeError", "TypeError", "TypeError", "TypeError", "TypeError", "no error", "TypeError"],
    );
  });

  it("sets the content type each body type implies, unless one is given", async () => {
    assert.deepEqual(
      await run(`
        const type = (body, headers) => new Request("https://example.com/", { method: "POST", body, headers }).headers.get("content-type");
        const form = new FormData();
        form.append("a", "1");
        return [type("text"), type(new URLSearchParams("a=1")), type(new Blob(["x"], { type: "Image/PNG" })), type(new Blob(["x"])),
          type(new ArrayBuffer(1)), type(new Uint8Array(1)), type("text", { "content-type": "application/custom" }),
          /^multipart\\/form-data; boundary=-{4}PaveFormBoundary[0-9A-Za-z]{16}$/.test(type(form))];`),
      [
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded;charset=UTF-8",
        "image/png",
        null,
        null,
        null,
        "application/custom",
        true,
      ],
    );
  });

  it("reads a body once; clone() before reading gives a second, independent body", async () => {
    assert.deepEqual(
      await run(`
        const req = new Request("https://example.com/", { method: "POST", body: "hello" });
        const copy = req.clone();
        const before = req.bodyUsed;
        const first = await req.text();
        return [before, first, req.bodyUsed, await rejection(req.text()), caught(() => req.clone()),
          await copy.text(), new Request("https://example.com/").bodyUsed, await new Request("https://example.com/").text()];`),
      [false, "hello", true, "TypeError: Body has already been consumed.", "TypeError", "hello", false, ""],
    );
  });

  it("takes the body of the Request it is made from, leaving that one used", async () => {
    assert.deepEqual(
      await run(`
        const original = new Request("https://example.com/a", { method: "PUT", body: "moved", headers: { "x-a": "1" } });
        const next = new Request(original);
        const overridden = new Request(next.clone(), { method: "POST", body: "new", headers: {} });
        return [original.bodyUsed, next.method, next.url, next.headers.get("x-a"), await next.text(),
          caught(() => new Request(original)), await overridden.text(), overridden.headers.get("x-a")];`),
      [true, "PUT", "https://example.com/a", "1", "moved", "TypeError", "new", null],
    );
  });

  it("reads application/x-www-form-urlencoded and multipart bodies as FormData, bytes and Blobs", async () => {
    assert.deepEqual(
      await run(`
        const form = await new Request("https://example.com/", { method: "POST", body: new URLSearchParams("a=1&b=%20x&a=2") }).formData();
        const blob = await new Request("https://example.com/", { method: "POST", body: "abc", headers: { "content-type": "text/x-abc" } }).blob();
        const b = await new Request("https://example.com/", { method: "POST", body: new Uint8Array([1, 2, 3]) }).bytes();
        return [form.getAll("a"), form.get("b"), blob.type, blob.size, await blob.text(), b instanceof Uint8Array, [...b],
          await rejection(new Request("https://example.com/", { method: "POST", body: "x" }).formData())];`),
      [
        ["1", "2"],
        " x",
        "text/x-abc",
        3,
        "abc",
        true,
        [1, 2, 3],
        'TypeError: Could not parse the body as FormData: the content type is "text/plain;charset=UTF-8"',
      ],
    );
  });

  it("has its own signal that follows the one it was given", async () => {
    assert.deepEqual(
      await run(`
        const ac = new AbortController();
        const req = new Request("https://example.com/", { signal: ac.signal });
        const plain = new Request("https://example.com/");
        const before = [req.signal instanceof AbortSignal, req.signal !== ac.signal, req.signal.aborted, plain.signal.aborted];
        ac.abort("stop");
        return [before, req.signal.aborted, req.signal.reason, caught(() => new Request("https://example.com/", { signal: {} })),
          req.redirect, req.cache, req.credentials, req.mode, req.keepalive];`),
      [[true, true, false, false], true, "stop", "TypeError", "follow", "default", "same-origin", "cors", false],
    );
  });
});

describe("Response", () => {
  it("checks status, statusText and null-body statuses", async () => {
    assert.deepEqual(
      await run(`
        const r = new Response();
        return [r.status, r.ok, r.statusText, r.type, r.url, r.redirected, r.body, new Response(null, { status: 404 }).ok,
          caught(() => new Response("", { status: 199 })), caught(() => new Response("", { status: 600 })),
          caught(() => new Response("x", { status: 204 })), caught(() => new Response(null, { status: 204 })),
          caught(() => new Response("", { statusText: "bad\\n" }))];`),
      [
        200,
        true,
        "",
        "default",
        "",
        false,
        null,
        false,
        "RangeError",
        "RangeError",
        "TypeError",
        "no error",
        "TypeError",
      ],
    );
  });

  it("Response.json, Response.redirect and Response.error", async () => {
    assert.deepEqual(
      await run(`
        const json = Response.json({ a: [1, "x"] }, { status: 201, headers: { "x-b": "2" } });
        const redirect = Response.redirect("https://example.com/next?q=1", 301);
        const error = Response.error();
        return [json.status, json.headers.get("content-type"), json.headers.get("x-b"), await json.text(),
          Response.json("x", { headers: { "content-type": "application/vnd.x+json" } }).headers.get("content-type"),
          redirect.status, redirect.headers.get("location"), Response.redirect("https://example.com/").status,
          caught(() => redirect.headers.set("location", "https://evil.example/")),
          caught(() => Response.redirect("https://example.com/", 200)), caught(() => Response.redirect("/relative")),
          error.type, error.status, caught(() => error.headers.append("a", "b")), caught(() => Response.json(undefined))];`),
      [
        201,
        "application/json",
        "2",
        '{"a":[1,"x"]}',
        "application/vnd.x+json",
        301,
        "https://example.com/next?q=1",
        302,
        "TypeError",
        "RangeError",
        "TypeError",
        "error",
        0,
        "TypeError",
        "TypeError",
      ],
    );
  });

  it("exposes its body as a ReadableStream of bytes, and reading it uses the body", async () => {
    assert.deepEqual(
      await run(`
        const r = new Response("héllo");
        const stream = r.body;
        const same = r.body === stream;
        const reader = stream.getReader();
        const chunks = [];
        for (;;) { const { done, value } = await reader.read(); if (done) break; chunks.push(...value); }
        const viaText = new Response("x");
        await viaText.text();
        const drained = await viaText.body.getReader().read();
        return [stream instanceof ReadableStream, same, new TextDecoder().decode(new Uint8Array(chunks)), r.bodyUsed,
          await rejection(r.text()), viaText.bodyUsed, drained.done];`),
      [true, true, "héllo", true, "TypeError: Body has already been consumed.", true, true],
    );
  });

  it("is built from a ReadableStream, which it reads to the end; chunks must be bytes", async () => {
    assert.deepEqual(
      await run(`
        const chunks = (list) => new ReadableStream({ start(c) { for (const x of list) c.enqueue(x); c.close(); } });
        const r = new Response(chunks([text("he"), text("llo "), text("world")]));
        const bad = new Response(chunks(["not bytes"]));
        const locked = chunks([]);
        locked.getReader();
        return [await r.text(), r.bodyUsed, await rejection(bad.text()), caught(() => new Response(locked))];`),
      ["hello world", true, "TypeError: a body stream must yield Uint8Array chunks", "TypeError"],
    );
  });

  it("clones by teeing a stream body", async () => {
    assert.deepEqual(
      await run(`
        const r = new Response(new ReadableStream({ start(c) { c.enqueue(text("tee")); c.close(); } }), { status: 202, headers: { "x-a": "1" } });
        const c = r.clone();
        return [await r.text(), await c.text(), c.status, c.headers.get("x-a"), caught(() => r.clone())];`),
      ["tee", "tee", 202, "1", "TypeError"],
    );
  });

  it("leaves the isolate with its stream read to bytes (bodies are buffered, not streamed)", async () => {
    const { result } = await h.invoke(`
      export default {
        fetch() {
          const enc = new TextEncoder();
          let n = 0;
          const stream = new ReadableStream({
            async pull(c) {
              await new Promise((r) => setTimeout(r, 1));
              if (n === 3) return c.close();
              c.enqueue(enc.encode("part" + n++ + ";"));
            },
          });
          return new Response(stream, { headers: { "content-type": "text/plain" } });
        },
      };`);
    assert.equal(result.kind, "response", JSON.stringify(result));
    const response = result as HttpResponse;
    assert.equal(Buffer.from(response.body as Uint8Array).toString(), "part0;part1;part2;");
    assert.deepEqual(response.headers, [["content-type", "text/plain"]]);
  });
});

describe("fetch", () => {
  it("rejects with a TypeError saying EgressDenied when the function has no egress grant", async () => {
    const out = (await run(`
      const tries = [
        fetch("https://api.example.com/v1/things"),
        fetch(new Request("http://10.0.0.1:8080/", { method: "POST", body: "x" })),
        fetch("https://api.example.com/", { method: "POST", body: new ReadableStream({ start(c) { c.enqueue(text("streamed")); c.close(); } }), duplex: "half" }),
      ];
      const out = [];
      for (const p of tries) { try { await p; out.push("resolved"); } catch (e) { out.push([e instanceof TypeError, e.message]); } }
      return out;`)) as [boolean, string][];
    for (const [isTypeError, message] of out) {
      assert.equal(isTypeError, true);
      assert.match(message, /^EgressDenied: .* is not in this function's egress list; add it to bindings\.egress/);
    }
    assert.match(out[0]![1], /api\.example\.com/);
    assert.match(out[1]![1], /10\.0\.0\.1:8080/);
  });

  it("honours an AbortSignal, refuses other schemes and bad requests before asking the host", async () => {
    assert.deepEqual(
      await run(`return [
        await rejection(fetch("https://api.example.com/", { signal: AbortSignal.abort() })),
        await rejection(fetch("https://api.example.com/", { signal: AbortSignal.abort("gave up") }).catch((r) => { throw { name: "reason", message: r }; })),
        await rejection(fetch("ftp://files.example.com/a")),
        await rejection(fetch("data:text/plain,hi")),
        await rejection(fetch("not a url")),
        await rejection(fetch("https://api.example.com/", { method: "GET", body: "x" })),
      ];`),
      [
        "AbortError: This operation was aborted",
        "reason: gave up",
        "TypeError: fetch failed: the ftp: scheme is not supported (only http: and https:)",
        "TypeError: fetch failed: the data: scheme is not supported (only http: and https:)",
        "TypeError: Invalid URL: not a url",
        "TypeError: Request with GET/HEAD method cannot have body.",
      ],
    );
  });
});
