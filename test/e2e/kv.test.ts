// kv inspection and topics through a real server: bytes in and out, TTLs, ordered pages, the key and value limits
// the runtime shares, roles, and the timer that purges expired entries from the SQLite file.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import SQLite from "better-sqlite3";
import { createToken } from "../../src/auth/index.ts";
import { type ApiError, PaveClient } from "../../src/client/index.ts";
import { KV_MAX_KEY_BYTES, KV_MAX_VALUE_BYTES } from "../../src/store/index.ts";
import { eventually, startTestServer, type TestServer } from "./helpers.ts";

let t: TestServer;
let viewer: string;

before(async () => {
  t = await startTestServer({ kvPurgeIntervalMs: 50 });
  viewer = (await createToken(t.server.store, { name: "v", role: "viewer", now: Date.now() })).token;
});
after(() => t.close());

interface Answer {
  status: number;
  headers: Headers;
  bytes: Buffer;
  json: { error?: { code: string; message: string } } & Record<string, unknown>;
}

async function call(
  method: string,
  path: string,
  opts: { body?: Uint8Array | string; contentType?: string; token?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${opts.token ?? t.server.adminToken}` };
  if (opts.contentType) headers["content-type"] = opts.contentType;
  const res = await fetch(`${t.server.url}/api/v1${path}`, {
    method,
    headers,
    ...(opts.body !== undefined && { body: opts.body }),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const isJson = res.headers.get("content-type")?.startsWith("application/json") === true;
  return { status: res.status, headers: res.headers, bytes, json: isJson ? JSON.parse(bytes.toString()) : {} };
}

function assertError(r: Answer, status: number, code: string, message?: RegExp): void {
  assert.equal(r.status, status, r.bytes.toString());
  assert.equal(r.json.error?.code, code);
  if (message) assert.match(r.json.error?.message ?? "", message);
}

async function assertApiError(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: ApiError) => {
    assert.equal(err.code, code, err.message);
    return true;
  });
}

describe("kv over the API", () => {
  it("puts and gets raw bytes of any content type, all 256 byte values included", async () => {
    const all = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
    for (const contentType of ["application/octet-stream", "application/json", "text/plain", undefined]) {
      const put = await call("PUT", "/kv/blobs/values/all", { body: all, ...(contentType && { contentType }) });
      assert.equal(put.status, 200, put.bytes.toString());
      assert.deepEqual(put.json, { namespace: "blobs", key: "all", env: "prod", bytes: 512, expiresAt: null });
      const got = await call("GET", "/kv/blobs/values/all");
      assert.equal(got.status, 200);
      assert.equal(got.headers.get("content-type"), "application/octet-stream");
      assert.equal(got.headers.get("x-pave-expires-at"), null);
      assert.ok(got.bytes.equals(all), `round trip with content-type ${contentType}`);
    }
    // An empty body is an empty value.
    assert.equal((await call("PUT", "/kv/blobs/values/empty")).status, 200);
    assert.equal((await call("GET", "/kv/blobs/values/empty")).bytes.length, 0);
  });

  it("the client writes text and bytes and reads bytes back, keys with / and unicode included", async () => {
    const c = t.client;
    for (const key of ["a/b/c", "ünï code ✓", "100% sure?", "#hash&amp"]) {
      await c.putKvValue("carts", key, `value of ${key}`);
      assert.equal(new TextDecoder().decode((await c.getKvValue("carts", key)).value), `value of ${key}`);
    }
    await c.putKvValue("carts", "bytes", new Uint8Array([0, 255, 10, 13]));
    assert.deepEqual([...(await c.getKvValue("carts", "bytes")).value], [0, 255, 10, 13]);
    await assertApiError(c.getKvValue("carts", ".."), "KvKeyInvalid");
  });

  it("a ttl sets the expiry, shown on get and in listings", async () => {
    const before = Date.now();
    const put = await t.client.putKvValue("sessions", "s1", "x", { ttl: 3600 });
    assert.ok(put.expiresAt !== null && put.expiresAt >= before + 3_600_000 && put.expiresAt <= Date.now() + 3_600_000);
    const got = await call("GET", "/kv/sessions/values/s1");
    assert.equal(got.headers.get("x-pave-expires-at"), String(put.expiresAt));
    assert.equal((await t.client.getKvValue("sessions", "s1")).expiresAt, put.expiresAt);
    assert.deepEqual((await t.client.listKvKeys("sessions")).keys, [{ name: "s1", expiresAt: put.expiresAt }]);
    // Writing again without a ttl makes it permanent.
    await t.client.putKvValue("sessions", "s1", "y");
    assert.equal((await t.client.getKvValue("sessions", "s1")).expiresAt, null);
  });

  it("an expired entry is gone at once for get, list and delete", async () => {
    await t.server.store.kvPut("prod", "stale", "old", { value: new Uint8Array([1]), expiresAt: Date.now() - 1 });
    await t.server.store.kvPut("prod", "stale", "fresh", { value: new Uint8Array([2]), expiresAt: null });
    assertError(await call("GET", "/kv/stale/values/old"), 404, "KeyNotFound", /no key "old" in kv namespace stale/);
    assert.deepEqual(
      (await t.client.listKvKeys("stale")).keys.map((k) => k.name),
      ["fresh"],
    );
    assertError(await call("DELETE", "/kv/stale/values/old"), 404, "KeyNotFound");
  });

  it("the server purges expired entries from the database on its timer", async () => {
    const now = Date.now();
    await t.server.store.kvPut("prod", "purge", "expired", { value: new Uint8Array([1]), expiresAt: now - 1000 });
    await t.server.store.kvPut("prod", "purge", "kept", { value: new Uint8Array([2]), expiresAt: now + 3_600_000 });
    const db = new SQLite(join(t.server.dataDir, "pave.db"), { readonly: true });
    try {
      const rows = () =>
        (db.prepare("select key from kv where namespace = 'purge' order by key").all() as { key: string }[]).map(
          (r) => r.key,
        );
      await eventually(() => assert.deepEqual(rows(), ["kept"]), 5000);
    } finally {
      db.close();
    }
  });

  it("lists in pages with prefix, cursor and limit", async () => {
    const keys = Array.from({ length: 23 }, (_, i) => `user:${String(i).padStart(2, "0")}`);
    for (const k of [...keys, "other", "user"]) await t.client.putKvValue("pages", k, k);
    const seen: string[] = [];
    let cursor: string | null | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await t.client.listKvKeys("pages", { prefix: "user:", limit: 10, ...(cursor && { cursor }) });
      seen.push(...res.keys.map((k) => k.name));
      cursor = res.cursor;
      if (cursor === null) break;
      assert.equal(res.keys.length, 10);
    }
    assert.deepEqual(seen, keys);
    const first = await call("GET", "/kv/pages/keys?limit=2");
    assert.deepEqual(first.json, {
      keys: [
        { name: "other", expiresAt: null },
        { name: "user", expiresAt: null },
      ],
      cursor: "user",
    });
    assertError(await call("GET", "/kv/pages/keys?limit=0"), 400, "BadRequest", /query\.limit/);
    assertError(await call("GET", "/kv/pages/keys?limit=1001"), 400, "BadRequest", /query\.limit/);
    assert.deepEqual((await call("GET", "/kv/never-written/keys")).json, { keys: [], cursor: null });
  });

  it("deletes an entry, and a missing key is 404 KeyNotFound", async () => {
    await t.client.putKvValue("del", "k", "v");
    assert.deepEqual(await t.client.deleteKvValue("del", "k"), {
      deleted: true,
      namespace: "del",
      key: "k",
      env: "prod",
    });
    await assertApiError(t.client.getKvValue("del", "k"), "KeyNotFound");
    await assertApiError(t.client.deleteKvValue("del", "k"), "KeyNotFound");
  });

  it("keeps environments apart", async () => {
    await t.client.putKvValue("envs", "k", "staged", { env: "staging" });
    await assertApiError(t.client.getKvValue("envs", "k"), "KeyNotFound");
    assert.equal(new TextDecoder().decode((await t.client.getKvValue("envs", "k", "staging")).value), "staged");
  });

  it("enforces the key limit the runtime shares: 1 to 512 bytes of UTF-8", async () => {
    assert.equal(KV_MAX_KEY_BYTES, 512);
    const atLimit = "é".repeat(256); // 512 bytes
    assert.equal((await call("PUT", `/kv/lim/values/${encodeURIComponent(atLimit)}`, { body: "x" })).status, 200);
    assert.equal((await call("GET", `/kv/lim/values/${encodeURIComponent(atLimit)}`)).bytes.toString(), "x");
    const over = `${atLimit}a`;
    for (const method of ["PUT", "GET", "DELETE"]) {
      assertError(
        await call(method, `/kv/lim/values/${encodeURIComponent(over)}`, method === "PUT" ? { body: "x" } : {}),
        400,
        "KvKeyInvalid",
        /at most 512 bytes of UTF-8; this one has 513/,
      );
    }
    assertError(await call("PUT", "/kv/lim/values/", { body: "x" }), 400, "KvKeyInvalid", /must not be empty/);
    assertError(await call("PUT", "/kv/lim/values/a%00b", { body: "x" }), 400, "KvKeyInvalid", /NUL/);
    for (const bad of ["%ED%A0%80", "%FF", "%zz"]) {
      assertError(await call("PUT", `/kv/lim/values/${bad}`, { body: "x" }), 400, "BadRequest", /percent-escape/);
    }
  });

  it("enforces the value limit the runtime shares: 1 MiB", async () => {
    assert.equal(KV_MAX_VALUE_BYTES, 1024 * 1024);
    const exact = Buffer.alloc(KV_MAX_VALUE_BYTES, 7);
    assert.equal((await call("PUT", "/kv/lim/values/big", { body: exact })).json.bytes, KV_MAX_VALUE_BYTES);
    assert.ok((await call("GET", "/kv/lim/values/big")).bytes.equals(exact));
    const over = Buffer.alloc(KV_MAX_VALUE_BYTES + 1, 7);
    for (const contentType of ["application/octet-stream", "application/json"]) {
      assertError(
        await call("PUT", "/kv/lim/values/big", { body: over, contentType }),
        413,
        "KvValueTooLarge",
        /at most 1 MiB \(1048576 bytes\)/,
      );
    }
    await assertApiError(t.client.putKvValue("lim", "big", over), "KvValueTooLarge");
    assert.ok((await call("GET", "/kv/lim/values/big")).bytes.equals(exact), "the old value stays");
  });

  it("answers 400 for a bad namespace or ttl", async () => {
    for (const ns of ["Carts", "1x", "a_b", "x".repeat(64)]) {
      assertError(await call("GET", `/kv/${ns}/keys`), 400, "BadRequest", /path\.namespace: a kv namespace name/);
      assertError(await call("PUT", `/kv/${ns}/values/k`, { body: "v" }), 400, "BadRequest", /path\.namespace/);
    }
    for (const ttl of ["0", "-5", "1.5", "1h", "", "315360001"]) {
      assertError(await call("PUT", `/kv/ok/values/k?ttl=${ttl}`, { body: "v" }), 400, "BadRequest", /query\.ttl: ttl/);
    }
    await assertApiError(t.client.getKvValue("ok", "k"), "KeyNotFound");
  });

  it("takes developer to read and write", async () => {
    for (const [method, path] of [
      ["GET", "/kv/carts/keys"],
      ["GET", "/kv/carts/values/k"],
      ["PUT", "/kv/carts/values/k"],
      ["DELETE", "/kv/carts/values/k"],
    ] as const) {
      assertError(
        await call(method, path, { token: viewer, ...(method === "PUT" && { body: "v" }) }),
        403,
        "Forbidden",
      );
    }
    const dev = (await createToken(t.server.store, { name: "d", role: "developer", now: Date.now() })).token;
    const c = new PaveClient({ url: t.server.url, token: dev });
    await c.putKvValue("carts", "dev", "ok");
    assert.equal(new TextDecoder().decode((await c.getKvValue("carts", "dev")).value), "ok");
  });
});

describe("topics over the API", () => {
  it("creates a topic (201), again (200, unchanged) and lists them", async () => {
    const first = await call("POST", "/topics", {
      body: JSON.stringify({ name: "orders" }),
      contentType: "application/json",
    });
    assert.equal(first.status, 201);
    assert.equal(first.json.created, true);
    const topic = first.json.topic as { env: string; name: string; createdAt: number };
    assert.equal(topic.name, "orders");
    assert.equal(topic.env, "prod");
    const again = await call("POST", "/topics", {
      body: JSON.stringify({ name: "orders" }),
      contentType: "application/json",
    });
    assert.equal(again.status, 200);
    assert.deepEqual(again.json, { created: false, topic });

    await t.client.createTopic("audit");
    await t.client.createTopic("orders", "staging");
    assert.deepEqual(
      (await t.client.listTopics()).topics.map((x) => x.name),
      ["audit", "orders"],
    );
    const viewed = await call("GET", "/topics?env=staging", { token: viewer });
    assert.deepEqual(
      (viewed.json.topics as { name: string }[]).map((x) => x.name),
      ["orders"],
    );
  });

  it("answers 400 for a bad name and 403 below operator", async () => {
    for (const body of [{ name: "Orders" }, { name: "" }, {}, { name: 5 }]) {
      assertError(
        await call("POST", "/topics", { body: JSON.stringify(body), contentType: "application/json" }),
        400,
        "BadRequest",
        /body\.name/,
      );
    }
    const dev = (await createToken(t.server.store, { name: "d2", role: "developer", now: Date.now() })).token;
    assertError(
      await call("POST", "/topics", {
        body: JSON.stringify({ name: "x" }),
        contentType: "application/json",
        token: dev,
      }),
      403,
      "Forbidden",
      /operator/,
    );
  });
});
