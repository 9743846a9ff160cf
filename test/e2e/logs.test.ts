// Logs through a real server: structured fields with secrets redacted, lines kept when the invocation times out,
// crashes or runs out of memory, the until/correlation filters and their bad input, and hostile text shown safely.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { formatLine } from "../../src/cli/logs.ts";
import { ApiError, type LogLine } from "../../src/client/index.ts";
import {
  deploySource,
  eventually,
  manifestYaml,
  removeFunctionDirs,
  startTestServer,
  type TestServer,
  writeFunction,
} from "./helpers.ts";

const SECRET = "tok_live_8f2d1c9a7b";

const LOGGER = `export default {
  async fetch(request: Request) {
    const what = new URL(request.url).searchParams.get("do");
    console.log("paid", { orderId: 7, amount: 12.5, nested: { tags: ["a", "b"] } });
    if (what === "throw") { console.log("before the throw"); throw new Error("kaboom"); }
    if (what === "reject") {
      console.log("before the rejection");
      Promise.reject(new Error("nobody caught me"));
      await new Promise((r) => setTimeout(r, 20));
      return new Response("answered anyway");
    }
    if (what === "spin") { console.log("before the loop"); for (;;) {} }
    if (what === "oom") {
      console.warn("before the bomb", { step: "allocating" });
      const keep: number[][] = [];
      for (;;) keep.push(new Array(100000).fill(keep.length));
    }
    return new Response("ok");
  },
};
`;

const HOSTILE = `export default {
  fetch() {
    console.log("\\x1b[31mred\\x1b]8;;http://evil\\x07");
    console.log("a".repeat(1e6));
    console.log("\\ud800");
    console.log("line1\\nline2\\r\\rfake", { "\\x1b[2J": "\\u009b31m\\ud800" });
    return new Response("ok");
  },
};
`;

describe("logs through a real server", () => {
  let t: TestServer;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${t.server.url}${path}`, { headers });

  /** Calls the function and waits for its activation's lines to be committed. */
  async function linesOf(name: string, query = "", headers: Record<string, string> = {}): Promise<LogLine[]> {
    const res = await get(`/fn/${name}/${query}`, headers);
    const id =
      res.headers.get("x-pave-activation-id") ??
      ((await res.json()) as { error: { details: { activationId: string } } }).error.details.activationId;
    await res.body?.cancel();
    return eventually(async () => {
      const { activation } = await t.client.getActivation(id);
      const { logs } = await t.client.logs({ function: name, activation: activation.id, limit: 1000 });
      assert.ok(logs.length > 0, "no lines yet");
      return logs;
    }, 10_000);
  }

  before(async () => {
    t = await startTestServer();
    await t.client.setSecret("API_TOKEN", SECRET);
    const withSecret = await writeFunction({
      "pave.yaml": `${manifestYaml("secretive")}bindings:\n  secrets: [API_TOKEN]\n`,
      "src/index.ts": `export default { fetch(request: Request, env: { API_TOKEN: string }) {
        console.log("calling", { token: env.API_TOKEN, header: "Bearer " + env.API_TOKEN });
        return new Response("ok");
      } };\n`,
    });
    await Promise.all([
      deploySource(t.client, "logger", LOGGER, { memory: 32, timeout: "1s" }),
      deploySource(t.client, "hostile", HOSTILE),
      t.client.deploy(withSecret),
    ]);
  });
  after(async () => {
    await t.close();
    await removeFunctionDirs();
  });

  it("keeps a last plain-object argument as fields, with the activation's trace and correlation ids", async () => {
    const [line] = await linesOf("logger", "", { "x-correlation-id": "order-7" });
    assert.ok(line);
    assert.equal(line.message, "paid");
    assert.deepEqual(line.fields, { orderId: 7, amount: 12.5, nested: { tags: ["a", "b"] } });
    assert.equal(line.correlationId, "order-7");
    assert.match(line.traceId, /^[0-9a-f]{32}$/);
    const { activation } = await t.client.getActivation(line.activationId);
    assert.equal(line.traceId, activation.traceId);
    assert.deepEqual(activation.logs[0]?.fields, line.fields);
  });

  it("redacts secret values from fields as from messages", async () => {
    const [line] = await linesOf("secretive");
    assert.deepEqual(line?.fields, { token: "[secret API_TOKEN]", header: "Bearer [secret API_TOKEN]" });
    const raw = await (
      await get("/api/v1/logs?function=secretive", { authorization: `Bearer ${t.server.adminToken}` })
    ).text();
    assert.ok(!raw.includes(SECRET));
  });

  for (const [what, code, before] of [
    ["throw", "FunctionError", "before the throw"],
    ["spin", "Timeout", "before the loop"],
    ["oom", "OutOfMemory", "before the bomb"],
  ] as const) {
    it(`keeps the lines logged before ${code}, fields included`, async () => {
      const lines = await linesOf("logger", `?do=${what}`);
      const { activation } = await t.client.getActivation(lines[0]?.activationId ?? "");
      assert.equal(activation.errorCode, code);
      assert.deepEqual(
        lines.slice(0, 2).map((l) => l.message),
        ["paid", before],
      );
      assert.deepEqual(lines[0]?.fields, { orderId: 7, amount: 12.5, nested: { tags: ["a", "b"] } });
      if (what === "oom") assert.deepEqual(lines[1]?.fields, { step: "allocating" });
      if (what === "throw") assert.ok(lines.some((l) => l.level === "error" && /kaboom/.test(l.message)));
    });
  }

  it("keeps the lines of an invocation whose promise rejection nobody handled", async () => {
    // isolated-vm exposes no unhandled-rejection hook, so the rejection itself is not reported; what was logged stays.
    const lines = await linesOf("logger", "?do=reject");
    assert.deepEqual(
      lines.slice(0, 2).map((l) => l.message),
      ["paid", "before the rejection"],
    );
  });

  it("filters by until and correlation id", async () => {
    await linesOf("logger", "", { "x-correlation-id": "wanted-1" });
    await linesOf("logger", "", { "x-correlation-id": "other-2" });
    const wanted = await t.client.logs({ correlation: "wanted-1" });
    assert.equal(wanted.logs.length, 1);
    assert.equal(wanted.logs[0]?.correlationId, "wanted-1");
    const past = await t.client.logs({ function: "logger", until: "2000-01-01T00:00:00Z" });
    assert.deepEqual(past.logs, []);
    const now = await t.client.logs({
      function: "logger",
      since: "1h",
      until: new Date(Date.now() + 1000).toISOString(),
    });
    assert.ok(now.logs.length >= 2);
  });

  it("refuses unknown filters, malformed times and backwards ranges with the parameter named", async () => {
    const cases: [string, RegExp][] = [
      ["function=logger&colour=red", /colour/],
      ["since=yesterday", /since: a duration like 1h or a date/],
      ["until=12x", /until: a duration like 1h or a date/],
      ["since=-5m", /since/],
      ["since=0s", /since: a duration like 1h or a date/],
      // V8 reads a day that does not exist as one of the next month.
      ["since=2026-02-30", /since: a duration like 1h or a date/],
      ["since=1h&until=2h", /until: must be later than since/],
      ["level=loud", /level/],
      ["limit=0", /limit/],
      ["after=-1", /after/],
      // Lines were renumbered from 2^52 by migration 019: an older cursor cannot be placed.
      ["after=12345", /after: a cursor from before this store's upgrade/],
      ["activation=garbage", /activation: an activation id/],
    ];
    for (const [query, message] of cases) {
      const err = await t.client.logs(Object.fromEntries(new URLSearchParams(query))).then(
        () => assert.fail(`${query} was accepted`),
        (e: unknown) => e as ApiError,
      );
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, "BadRequest", query);
      assert.equal(err.status, 400);
      assert.match(err.message, message, query);
    }
    const stream = await fetch(`${t.server.url}/api/v1/logs/stream?nope=1`, {
      headers: { authorization: `Bearer ${t.server.adminToken}` },
    });
    assert.equal(stream.status, 400);
  });

  it("answers an unknown function or environment as not found, and a removed function's history still", async () => {
    const notFound = async (p: Promise<unknown>, code: string) =>
      assert.equal(
        (
          (await p.then(
            () => assert.fail("answered"),
            (e: unknown) => e,
          )) as ApiError
        ).code,
        code,
      );
    await notFound(t.client.logs({ function: "nope" }), "FunctionNotFound");
    await notFound(t.client.logs({ env: "nope" }), "EnvironmentNotFound");
    await notFound(t.client.listActivations({ function: "nope" }), "FunctionNotFound");
    await notFound(t.client.cost({ env: "nope" }), "EnvironmentNotFound");
    // Following a name that is not there is refused at once, not left waiting forever.
    const stream = await fetch(`${t.server.url}/api/v1/logs/stream?function=nope`, {
      headers: { authorization: `Bearer ${t.server.adminToken}` },
    });
    assert.equal(stream.status, 404);
    // A function that exists, with nothing matching, is an empty answer.
    assert.deepEqual((await t.client.logs({ function: "logger", grep: "no line says this" })).logs, []);
    await deploySource(
      t.client,
      "gone",
      `export default { fetch() { console.log("last words"); return new Response("ok"); } };`,
    );
    await linesOf("gone");
    await t.client.deleteFunction("gone");
    assert.deepEqual(messages((await t.client.logs({ function: "gone" })).logs), ["last words"]);
    assert.deepEqual(
      (await t.client.logs({ function: "gone", level: "error" })).logs,
      [],
      "nothing matches, but it was",
    );
  });

  it("stores hostile text so the API answers valid JSON and the CLI shows it escaped", async () => {
    const lines = await eventually(async () => {
      const found = await linesOf("hostile");
      assert.equal(found.length, 4);
      return found;
    }, 10_000);
    const res = await fetch(`${t.server.url}/api/v1/logs?function=hostile`, {
      headers: { authorization: `Bearer ${t.server.adminToken}` },
    });
    const text = await res.text();
    assert.doesNotThrow(() => JSON.parse(text));
    // Well-formed: no lone surrogate survives, as raw text or as a JSON escape.
    assert.doesNotMatch(text, /\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i);
    const [ansi, huge, lone, multi] = lines;
    assert.equal(ansi?.message, "\x1b[31mred\x1b]8;;http://evil\x07");
    assert.ok(huge && huge.message.length < 8400, `a line of ${huge?.message.length} characters was kept`);
    assert.match(huge.message, /truncated/);
    assert.equal(lone?.message, "\ufffd");
    assert.deepEqual(multi?.fields, { "\x1b[2J": "\u009b31m\ufffd" });
    const shown = lines.map(formatLine);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not reach a terminal.
    for (const s of shown) assert.doesNotMatch(s, /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/);
    assert.ok(shown[0]?.endsWith("\\u001b[31mred\\u001b]8;;http://evil\\u0007"));
    assert.ok(shown[3]?.endsWith("line1\\nline2\\r\\rfake \\u001b[2J=\\u009b31m\ufffd"), shown[3]);
  });
});

const messages = (lines: LogLine[]) => lines.map((l) => l.message);
