// `pave logs --follow` across a server restart: the follower reconnects to the new process (same port, same data)
// and gets every line logged after it, each exactly once — no gap, no duplicate — with its fields.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { type LogLine, PaveClient } from "../../src/client/index.ts";
import { createLogger } from "../../src/logger.ts";
import { type PaveServer, startServer } from "../../src/server.ts";
import { deploySource, eventually, removeFunctionDirs } from "./helpers.ts";

const dataDir = mkdtempSync(join(tmpdir(), "pave-e2e-follow-"));
after(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await removeFunctionDirs();
});

const WAIT = 15_000;

const start = (port: number) => startServer({ host: "127.0.0.1", port, dataDir, logger: createLogger("silent") });

test("a follower survives a server restart and sees every later line exactly once", async () => {
  let server: PaveServer = await start(0);
  const port = Number(new URL(server.url).port);
  const client = new PaveClient({ url: server.url, token: server.adminToken });
  const call = async (n: number) => {
    const res = await fetch(`${server.url}/fn/counter/?n=${n}`);
    assert.equal(res.status, 200, await res.text());
  };
  const seen: LogLine[] = [];
  const reconnects: unknown[] = [];
  const follower = new AbortController();
  let following: Promise<void> | undefined;
  try {
    await deploySource(
      client,
      "counter",
      `export default { fetch(request: Request) {
        const n = Number(new URL(request.url).searchParams.get("n"));
        console.log("line " + n, { n });
        return new Response("ok");
      } };\n`,
    );
    await call(0);
    // Generous waits throughout: on a loaded machine a batch can take seconds to commit; the order is what is tested.
    await eventually(async () => assert.equal((await client.logs({ function: "counter" })).logs.length, 1), WAIT);
    following = client.followLogs(
      { function: "counter" },
      (l) => seen.push(l),
      follower.signal,
      (err) => reconnects.push(err),
    );
    await eventually(() => assert.equal(seen.length, 1), WAIT);
    for (let n = 1; n <= 3; n++) await call(n);
    await eventually(() => assert.equal(seen.length, 4), WAIT);

    await server.close();
    // Lines logged while no server runs cannot exist; the follower notices the stream ended and keeps retrying.
    await eventually(() => assert.ok(reconnects.length >= 1, "the follower never noticed"), WAIT);
    server = await start(port);
    for (let n = 4; n <= 8; n++) await call(n);

    await eventually(() => assert.equal(seen.length, 9), WAIT);
    assert.deepEqual(
      seen.map((l) => l.message),
      Array.from({ length: 9 }, (_, n) => `line ${n}`),
    );
    assert.deepEqual(
      seen.map((l) => l.fields),
      Array.from({ length: 9 }, (_, n) => ({ n })),
    );
    const ids = seen.map((l) => l.id ?? 0);
    assert.ok(
      ids.every((id, i) => i === 0 || id > (ids[i - 1] ?? 0)),
      `ids ${ids.join(",")}`,
    );
    // Nothing more arrives: a reconnect never replays what was already delivered.
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(seen.length, 9);
  } finally {
    follower.abort();
    await following;
    await server.close();
  }
});

test("a follower starts where --since says, and one that resumes keeps its place whatever since says", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pave-e2e-follow-since-"));
  const server = await startServer({ host: "127.0.0.1", port: 0, dataDir: dir, logger: createLogger("silent") });
  const client = new PaveClient({ url: server.url, token: server.adminToken });
  const call = async (n: number) => {
    const res = await fetch(`${server.url}/fn/counter/?n=${n}`);
    assert.equal(res.status, 200, await res.text());
  };
  const recorded = async (n: number) =>
    eventually(async () => assert.equal((await client.logs({ function: "counter" })).logs.length, n), WAIT);
  // Every follower is stopped in the end, a failed assertion or not: one left running reconnects forever.
  const followers: AbortController[] = [];
  const follow = (filter: Parameters<PaveClient["followLogs"]>[0], seen: LogLine[]) => {
    const stop = new AbortController();
    followers.push(stop);
    const following = client.followLogs(filter, (l) => seen.push(l), stop.signal);
    return async () => {
      stop.abort();
      await following;
    };
  };
  try {
    await deploySource(
      client,
      "counter",
      `export default { fetch(request: Request) {
        console.log("line " + new URL(request.url).searchParams.get("n"));
        return new Response("ok");
      } };\n`,
    );
    await call(0);
    await call(1);
    await recorded(2);
    await new Promise((r) => setTimeout(r, 1500));
    // Nothing in the last second: the follower starts now, not from the function's first line.
    const seen: LogLine[] = [];
    let stop = follow({ function: "counter", since: "1s" }, seen);
    await new Promise((r) => setTimeout(r, 800));
    await call(2);
    await eventually(() => assert.deepEqual(messages(seen), ["line 2"]), WAIT);
    await stop();

    // Line 3 is logged while the follower is away, more than its `since: 1s` before it comes back with its cursor.
    await call(3);
    await recorded(4);
    await new Promise((r) => setTimeout(r, 1500));
    const resumed: LogLine[] = [];
    stop = follow({ function: "counter", since: "1s", after: seen[0]?.id as number }, resumed);
    await eventually(() => assert.deepEqual(messages(resumed), ["line 3"]), WAIT);
    await new Promise((r) => setTimeout(r, 600));
    assert.deepEqual(messages(resumed), ["line 3"], "and nothing else");
    await stop();

    // A cursor from before migration 019 (lines were numbered from 1 then) cannot be placed among today's ids: the
    // follower goes on from the newest line, not from the first again.
    const old: LogLine[] = [];
    stop = follow({ function: "counter", after: 12_345 }, old);
    await new Promise((r) => setTimeout(r, 800));
    await call(4);
    await eventually(() => assert.deepEqual(messages(old), ["line 4"]), WAIT);
    await stop();
  } finally {
    for (const f of followers) f.abort();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const messages = (lines: LogLine[]) => lines.map((l) => l.message);
