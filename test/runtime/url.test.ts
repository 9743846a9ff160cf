// URL and URLSearchParams as function code sees them: one function runs the checks inside a real isolate and the
// test compares its answers with the URL Standard's and RFC 3986's examples, and with Node's own setters.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bundleEntry } from "../../src/deploy/bundle.ts";
import { Runtime } from "../../src/runtime/index.ts";

const BASE = "http://a/b/c/d;p?q";

/** RFC 3986 §5.4.1 and §5.4.2, as the URL Standard resolves them ("//g" gains the empty path's "/"). */
const RFC3986: [string, string][] = [
  ["g:h", "g:h"],
  ["g", "http://a/b/c/g"],
  ["./g", "http://a/b/c/g"],
  ["g/", "http://a/b/c/g/"],
  ["/g", "http://a/g"],
  ["//g", "http://g/"],
  ["?y", "http://a/b/c/d;p?y"],
  ["g?y", "http://a/b/c/g?y"],
  ["#s", "http://a/b/c/d;p?q#s"],
  ["g#s", "http://a/b/c/g#s"],
  ["g?y#s", "http://a/b/c/g?y#s"],
  [";x", "http://a/b/c/;x"],
  ["g;x", "http://a/b/c/g;x"],
  ["g;x?y#s", "http://a/b/c/g;x?y#s"],
  ["", "http://a/b/c/d;p?q"],
  [".", "http://a/b/c/"],
  ["./", "http://a/b/c/"],
  ["..", "http://a/b/"],
  ["../", "http://a/b/"],
  ["../g", "http://a/b/g"],
  ["../..", "http://a/"],
  ["../../", "http://a/"],
  ["../../g", "http://a/g"],
  ["../../../g", "http://a/g"],
  ["../../../../g", "http://a/g"],
  ["/./g", "http://a/g"],
  ["/../g", "http://a/g"],
  ["g.", "http://a/b/c/g."],
  [".g", "http://a/b/c/.g"],
  ["g..", "http://a/b/c/g.."],
  ["..g", "http://a/b/c/..g"],
  ["./../g", "http://a/b/g"],
  ["./g/.", "http://a/b/c/g/"],
  ["g/./h", "http://a/b/c/g/h"],
  ["g/../h", "http://a/b/c/h"],
  ["g;x=1/./y", "http://a/b/c/g;x=1/y"],
  ["g;x=1/../y", "http://a/b/c/y"],
  ["g?y/./x", "http://a/b/c/g?y/./x"],
  ["g?y/../x", "http://a/b/c/g?y/../x"],
  ["g#s/./x", "http://a/b/c/g#s/./x"],
  ["g#s/../x", "http://a/b/c/g#s/../x"],
  ["http:g", "http://a/b/c/g"],
];

/** The URL Standard's parsing examples (§4.3): input, base, href or null for failure. */
const WHATWG: [string, string | null, string | null][] = [
  ["https:example.org", null, "https://example.org/"],
  ["https://////example.com///", null, "https://example.com///"],
  ["https://example.com/././foo", null, "https://example.com/foo"],
  ["hello:world", "https://example.com/", "hello:world"],
  ["https:example.org", "https://example.com/", "https://example.com/example.org"],
  ["\\example\\..\\demo/.\\", "https://example.com/", "https://example.com/demo/"],
  ["example", "https://example.com/demo", "https://example.com/example"],
  ["file:///C|/demo", null, "file:///C:/demo"],
  ["..", "file:///C:/demo", "file:///C:/"],
  ["file://loc%61lhost/", null, "file:///"],
  ["https://user:password@example.org/", null, "https://user:password@example.org/"],
  ["https://example.org/foo bar", null, "https://example.org/foo%20bar"],
  ["https://EXAMPLE.com/../x", null, "https://example.com/x"],
  ["https://ex ample.org/", null, null],
  ["example", null, null],
  ["https://example.com:demo", null, null],
  ["http://[www.example.com]/", null, null],
  ["https://example.org//", null, "https://example.org//"],
  ["https://example.com/[]?[]#[]", null, "https://example.com/[]?[]#[]"],
  ["https://example/%?%#%", null, "https://example/%?%#%"],
  ["https://example/%25?%25#%25", null, "https://example/%25?%25#%25"],
];

/** Setter cases, [href, property, value]; compared with Node's URL, which implements the spec's setters. */
const SETTERS: [string, string, string][] = [
  ["https://example.com/a?b#c", "protocol", "http"],
  ["http://example.com:443/", "protocol", "https"],
  ["https://example.com/", "protocol", "wss:x"],
  ["https://example.com/", "protocol", "foo"],
  ["https://example.com/", "protocol", "ht tp"],
  ["foo://x/", "protocol", "https"],
  ["foo://x/", "protocol", "bar"],
  ["https://u:p@example.com/", "protocol", "file"],
  ["file:///x", "protocol", "https"],
  ["https://example.com/", "username", "us er@:"],
  ["https://example.com/", "password", "p@ss/w:rd"],
  ["https://u:p@example.com/", "username", ""],
  ["https://u:p@example.com/", "password", ""],
  ["https://example.com/", "username", "ü%41"],
  ["file:///x", "username", "u"],
  ["mailto:x", "username", "u"],
  ["https://example.com:8080/p", "host", "other.org"],
  ["https://example.com:8080/p", "host", "other.org:99"],
  ["https://example.com:8080/p", "host", "other.org:65536"],
  ["https://example.com:8080/p", "host", "other.org:12abc"],
  ["https://example.com/p", "host", "other.org/x?y#z"],
  ["https://example.com/p", "host", "other.org\\x"],
  ["https://example.com/p", "host", ""],
  ["https://example.com/p", "host", "[::1]:81"],
  ["https://example.com/p", "host", "ex ample"],
  ["https://example.com/p", "host", "EXAMPLE.org"],
  ["foo://example.com/p", "host", ""],
  ["foo:/p", "host", "h"],
  ["mailto:x", "host", "h"],
  ["https://example.com/p", "hostname", "other.org:99"],
  ["https://example.com:81/p", "hostname", "other.org"],
  ["https://example.com/p", "hostname", "[::1]"],
  ["https://example.com/", "port", "8080"],
  ["https://example.com:8080/", "port", ""],
  ["https://example.com/", "port", "443"],
  ["https://example.com/", "port", "8080abc"],
  ["https://example.com:1/", "port", "abc"],
  ["https://example.com/", "port", "65536"],
  ["https://example.com/", "port", "0080"],
  ["file:///x", "port", "8"],
  ["https://example.com/a", "pathname", "b c?d#e"],
  ["https://example.com/a", "pathname", ""],
  ["https://example.com/a", "pathname", "\\x\\y"],
  ["https://example.com/a", "pathname", "/../x/./y"],
  ["foo://h/a", "pathname", "b"],
  ["foo://h/a", "pathname", ""],
  ["foo:/a", "pathname", "//b"],
  ["mailto:x", "pathname", "y"],
  ["https://example.com/a?x#h", "search", "y=1 2#3'"],
  ["https://example.com/a?x#h", "search", ""],
  ["https://example.com/a?x#h", "search", "?"],
  ["https://example.com/a?#h", "hash", "k"],
  ["https://example.com/a#h", "hash", "x y"],
  ["https://example.com/a#h", "hash", ""],
  ["https://example.com/a", "hash", "#"],
  ["https://example.com/a?q#", "pathname", "b"],
  ["https://example.com/", "href", "http://other/x?y"],
  ["mailto:x #f", "hash", ""],
  ["data:x ?q#f", "search", ""],
  ["https://example.com/", "search", "a=\uD800"],
];

/** The function under test; it cannot import the cases, so they are inlined as JSON. */
const SOURCE = `
const RFC3986 = ${JSON.stringify(RFC3986)};
const WHATWG = ${JSON.stringify(WHATWG)};
const SETTERS = ${JSON.stringify(SETTERS)};
const BASE = ${JSON.stringify(BASE)};

function attempt(fn) {
  try { return fn(); } catch (err) { return { error: err.name, message: err.message }; }
}
function parts(u) {
  return { href: u.href, origin: u.origin, protocol: u.protocol, username: u.username, password: u.password,
    host: u.host, hostname: u.hostname, port: u.port, pathname: u.pathname, search: u.search, hash: u.hash };
}

export default {
  async fetch() {
    const out = {};
    out.rfc3986 = RFC3986.map(([ref]) => new URL(ref, BASE).href);
    out.rfc3986ViaUrlBase = RFC3986.map(([ref]) => new URL(ref, new URL(BASE)).href);
    out.whatwg = WHATWG.map(([input, base]) => URL.parse(input, base ?? undefined)?.href ?? null);
    out.canParse = WHATWG.map(([input, base]) => URL.canParse(input, base ?? undefined));
    out.invalid = attempt(() => new URL("example"));
    out.invalidHref = attempt(() => { const u = new URL("https://example.com/"); u.href = "nope"; return u.href; });
    out.components = parts(new URL("https://user:pa%20ss@EXAMPLE.com:8080/p/a/t/h?query=1#frag"));
    out.origins = ["https://example.com:443/x", "http://[::1]:81/", "foo://x/", "file:///tmp"].map((s) => new URL(s).origin);
    out.spaceSearch = new URL("https://example.com/?a=b c").search;
    out.flag = new URL("https://example.org/\\u{1F3F3}\\uFE0F\\u200D\\u{1F308}").pathname;
    const tilde = new URL("https://example.com/?a=b ~");
    out.tildeBefore = tilde.href;
    tilde.searchParams.sort();
    out.tildeAfter = tilde.href;
    out.setters = SETTERS.map(([href, key, value]) => attempt(() => { const u = new URL(href); u[key] = value; return u.href; }));

    const live = new URL("https://h/p?a=1#f");
    const sp = live.searchParams;
    const steps = [];
    sp.append("b", "2 3"); steps.push(live.href);
    sp.delete("a"); sp.delete("b"); steps.push(live.href, live.search);
    live.search = "?x=1&y=%C3%A9"; steps.push(sp.get("x"), sp.get("y"), live.searchParams === sp);
    live.href = "https://h/?z=9"; steps.push(sp.get("z"), sp.size);
    live.search = ""; steps.push(sp.size, live.href);
    sp.set("k", "v"); live.hash = "h"; steps.push(live.href);
    live.pathname = "/other"; steps.push(sp.get("k"), live.href);
    out.live = steps;

    const serial = new URLSearchParams();
    serial.append(" +&=\\u00E9", " +&=\\u00E9");
    out.serialise = serial.toString();
    out.serialiseMarks = new URLSearchParams({ k: "*-._~!'()/?\\u{1F600}" }).toString();
    out.loneSurrogate = new URLSearchParams([["\\uD800", "x\\uDC00"]]).toString();
    const q = new URLSearchParams("a=1&a=2&b=%zz&c=%C3%A9+x");
    out.query = { a: q.getAll("a"), b: q.get("b"), c: q.get("c"), missing: q.get("d"), text: q.toString(), size: q.size };
    out.utf8 = ["%C3%28", "%FF", "%E2%82", "%E2%82%AC", "%F0%9F%98%80", "%ED%A0%80", "%F4%90%80%80", "%C0%AF", "%E2%82x", "%"]
      .map((v) => new URLSearchParams("v=" + v).get("v"));
    out.shapes = [...new URLSearchParams("=a&b=&&c&d=e=f&&")];
    out.questionMarks = [[...new URLSearchParams("?a=b")], [...new URLSearchParams("??a=b")]];
    const s = new URLSearchParams("z=1&a=2&z=0&a=1&b");
    s.sort();
    out.sort = s.toString();
    const units = new URLSearchParams("\\uFB03&\\u{1F308}");
    units.sort();
    out.sortCodeUnits = [...units.keys()];
    out.fromPairs = new URLSearchParams([["a", "1"], ["b", "2"], ["a", "3"]]).toString();
    out.fromRecord = new URLSearchParams({ a: "1", b: "x y" }).toString();
    const original = new URLSearchParams("a=1");
    const copy = new URLSearchParams(original);
    copy.append("b", "2");
    out.fromParams = [original.toString(), copy.toString()];
    out.fromMap = new URLSearchParams(new Map([["m", "1"]])).toString();
    out.badPairs = [attempt(() => new URLSearchParams([["a", "b", "c"]])), attempt(() => new URLSearchParams([["a"]])),
      attempt(() => new URLSearchParams(["ab"]))].map((r) => r.error);
    const m = new URLSearchParams("a=1&b=2&a=3&a=1");
    out.hasValue = [m.has("a"), m.has("a", "3"), m.has("a", "4"), m.has("c"), m.has("a", undefined)];
    m.delete("a", "1");
    out.deleteValue = m.toString();
    m.set("a", "x"); m.set("n", "y");
    out.set = m.toString();
    m.delete("a");
    out.delete = m.toString();
    const each = [];
    new URLSearchParams("x=1&y=2").forEach(function (v, k, p) { each.push([k, v, p.size, this.tag]); }, { tag: "t" });
    out.forEach = each;
    const it = new URLSearchParams("p=1&q=2");
    out.iterate = { entries: [...it.entries()], keys: [...it.keys()], values: [...it.values()], spread: [...it] };
    out.tags = [Object.prototype.toString.call(new URL("http://x")), Object.prototype.toString.call(new URLSearchParams())];
    out.json = JSON.stringify({ u: new URL("http://x") });
    out.string = String(new URL("http://x/y")) + " " + new URL("http://x/y").toJSON();
    const req = new Request("http://x/", { method: "POST", body: new URLSearchParams({ a: "b c" }) });
    out.body = [req.headers.get("content-type"), await req.text()];
    return Response.json(out);
  },
};
`;

/** What Node's URL answers for each setter case, or the error it throws. */
function nodeSetter([href, key, value]: [string, string, string]): string | { error: string; message: string } {
  try {
    const u = new URL(href) as unknown as Record<string, string>;
    u[key] = value;
    return u.href as string;
  } catch (err) {
    const e = err as Error;
    return { error: e.name, message: e.message };
  }
}

describe("URL and URLSearchParams in the sandbox", () => {
  let rt: Runtime;
  let dir: string;
  let out: Record<string, unknown>;

  before(async () => {
    rt = await Runtime.start();
    dir = mkdtempSync(join(tmpdir(), "pave-url-"));
    writeFileSync(join(dir, "index.ts"), SOURCE);
    const bundle = await bundleEntry(dir, "index.ts");
    const version = { env: "test", function: "url", id: "v1", memoryMb: 64, timeoutMs: 5000, concurrency: 1, bundle };
    const call = await rt.invoke(
      version,
      {
        kind: "http",
        url: "http://x/",
        http: {
          method: "GET",
          path: "/",
          rawQuery: "",
          headers: [],
          body: null,
          sourceIp: "127.0.0.1",
          host: "x",
          requestId: "r1",
          startedAt: Date.now(),
        },
      },
      { id: "a1", functionName: "url", functionVersion: "v1", memoryMb: 64, deadline: Date.now() + 5000 },
    );
    const result = await call.result;
    await call.report;
    assert.equal(result.kind, "response", JSON.stringify(result));
    if (result.kind !== "response") return;
    const body = typeof result.body === "string" ? result.body : Buffer.from(result.body ?? []).toString("utf8");
    assert.equal(result.status, 200, body);
    out = JSON.parse(body) as Record<string, unknown>;
  });

  after(() => {
    rt?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("resolves RFC 3986's reference examples against a string or URL base", () => {
    const expected = RFC3986.map(([, href]) => href);
    assert.deepEqual(out.rfc3986, expected);
    assert.deepEqual(out.rfc3986ViaUrlBase, expected);
  });

  it("parses the URL Standard's examples, failing where it fails", () => {
    assert.deepEqual(
      out.whatwg,
      WHATWG.map(([, , href]) => href),
    );
    assert.deepEqual(
      out.canParse,
      WHATWG.map(([, , href]) => href !== null),
    );
    assert.deepEqual(out.invalid, { error: "TypeError", message: "Invalid URL: example" });
    assert.deepEqual(out.invalidHref, { error: "TypeError", message: "Invalid URL: nope" });
  });

  it("exposes every component", () => {
    assert.deepEqual(out.components, {
      href: "https://user:pa%20ss@example.com:8080/p/a/t/h?query=1#frag",
      origin: "https://example.com:8080",
      protocol: "https:",
      username: "user",
      password: "pa%20ss",
      host: "example.com:8080",
      hostname: "example.com",
      port: "8080",
      pathname: "/p/a/t/h",
      search: "?query=1",
      hash: "#frag",
    });
    assert.deepEqual(out.origins, ["https://example.com", "http://[::1]:81", "null", "null"]);
    assert.equal(out.spaceSearch, "?a=b%20c");
    assert.equal(out.flag, "/%F0%9F%8F%B3%EF%B8%8F%E2%80%8D%F0%9F%8C%88");
    assert.equal(out.tildeBefore, "https://example.com/?a=b%20~");
    assert.equal(out.tildeAfter, "https://example.com/?a=b+%7E");
    assert.deepEqual(out.tags, ["[object URL]", "[object URLSearchParams]"]);
    assert.equal(out.json, '{"u":"http://x/"}');
    assert.equal(out.string, "http://x/y http://x/y");
  });

  it("applies setters as the spec does", () => {
    const got = out.setters as unknown[];
    SETTERS.forEach((c, i) => {
      assert.deepEqual(got[i], nodeSetter(c), `${c[0]} .${c[1]} = ${JSON.stringify(c[2])}`);
    });
    // A few answers spelled out, so the comparison does not rest on Node alone.
    const known: Record<number, string> = {
      1: "https://example.com/",
      3: "https://example.com/",
      9: "https://us%20er%40%3A@example.com/",
      18: "https://other.org:8080/p",
      27: "foo://h/p",
      46: "foo:/.//b",
      50: "https://example.com/a?#h",
      55: "https://example.com/b?q#",
    };
    for (const [i, href] of Object.entries(known)) assert.equal(got[Number(i)], href, JSON.stringify(SETTERS[+i]));
  });

  it("keeps searchParams and the URL in step", () => {
    assert.deepEqual(out.live, [
      "https://h/p?a=1&b=2+3#f",
      "https://h/p#f",
      "",
      "1",
      "é",
      true,
      "9",
      1,
      0,
      "https://h/",
      "https://h/?k=v#h",
      "v",
      "https://h/other?k=v#h",
    ]);
  });

  it("serialises as application/x-www-form-urlencoded", () => {
    assert.equal(out.serialise, "+%2B%26%3D%C3%A9=+%2B%26%3D%C3%A9");
    assert.equal(out.serialiseMarks, "k=*-._%7E%21%27%28%29%2F%3F%F0%9F%98%80");
    assert.equal(out.loneSurrogate, "%EF%BF%BD=x%EF%BF%BD");
    assert.deepEqual(out.body, ["application/x-www-form-urlencoded;charset=UTF-8", "a=b+c"]);
  });

  it("parses leniently: repeated names, bad escapes kept, UTF-8 with replacement characters", () => {
    assert.deepEqual(out.query, {
      a: ["1", "2"],
      b: "%zz",
      c: "é x",
      missing: null,
      text: "a=1&a=2&b=%25zz&c=%C3%A9+x",
      size: 4,
    });
    assert.deepEqual(out.utf8, [
      "\uFFFD(",
      "\uFFFD",
      "\uFFFD",
      "€",
      "😀",
      "\uFFFD\uFFFD\uFFFD",
      "\uFFFD\uFFFD\uFFFD\uFFFD",
      "\uFFFD\uFFFD",
      "\uFFFDx",
      "%",
    ]);
    // Node's decoder agrees on the same inputs.
    const utf8 = out.utf8 as string[];
    [
      "%C3%28",
      "%FF",
      "%E2%82",
      "%E2%82%AC",
      "%F0%9F%98%80",
      "%ED%A0%80",
      "%F4%90%80%80",
      "%C0%AF",
      "%E2%82x",
      "%",
    ].forEach((v, i) => {
      assert.equal(utf8[i], new URLSearchParams(`v=${v}`).get("v"), v);
    });
    assert.deepEqual(out.shapes, [
      ["", "a"],
      ["b", ""],
      ["c", ""],
      ["d", "e=f"],
    ]);
    assert.deepEqual(out.questionMarks, [[["a", "b"]], [["?a", "b"]]]);
  });

  it("sorts stably by UTF-16 code units", () => {
    assert.equal(out.sort, "a=2&a=1&b=&z=1&z=0");
    assert.deepEqual(out.sortCodeUnits, ["\u{1F308}", "\uFB03"]);
  });

  it("constructs from pairs, records and other params, and refuses malformed pairs", () => {
    assert.equal(out.fromPairs, "a=1&b=2&a=3");
    assert.equal(out.fromRecord, "a=1&b=x+y");
    assert.deepEqual(out.fromParams, ["a=1", "a=1&b=2"]);
    assert.equal(out.fromMap, "m=1");
    assert.deepEqual(out.badPairs, ["TypeError", "TypeError", "TypeError"]);
  });

  it("has, delete and set honour the optional value and keep order", () => {
    assert.deepEqual(out.hasValue, [true, true, false, false, true]);
    assert.equal(out.deleteValue, "b=2&a=3");
    assert.equal(out.set, "b=2&a=x&n=y");
    assert.equal(out.delete, "b=2&n=y");
    assert.deepEqual(out.forEach, [
      ["x", "1", 2, "t"],
      ["y", "2", 2, "t"],
    ]);
    assert.deepEqual(out.iterate, {
      entries: [
        ["p", "1"],
        ["q", "2"],
      ],
      keys: ["p", "q"],
      values: ["1", "2"],
      spread: [
        ["p", "1"],
        ["q", "2"],
      ],
    });
  });
});
