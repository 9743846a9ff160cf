// The Store contract for the durable side of bindings: kv (bytes, TTL, ordered pages), sealed secrets, topics and
// published events. Part of storeContract; `test` gives each case a fresh store.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { v7 } from "uuid";
import type { NewEvent, SealedSecret, Store } from "../../src/store/index.ts";

const ENV = "prod";
const T0 = 1_700_000_000_000;

type StoreTest = (title: string, body: (store: Store) => Promise<void>) => void;

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined) => (value === undefined ? undefined : new TextDecoder().decode(value));

/** Every key of a namespace, page by page, checking each page's size and that pages do not overlap. */
async function allKeys(store: Store, ns: string, q: { prefix?: string; limit: number }, now = T0): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const res = await store.kvList(ENV, ns, { ...q, ...(cursor !== undefined && { cursor }) }, now);
    assert.ok(res.keys.length <= q.limit, `page ${page} has ${res.keys.length} keys, limit ${q.limit}`);
    seen.push(...res.keys.map((k) => k.name));
    if (res.cursor === null) return seen;
    assert.equal(res.keys.length, q.limit, "only the last page may be short");
    assert.equal(res.cursor, res.keys.at(-1)?.name, "the cursor is the last key of the page");
    cursor = res.cursor;
  }
  throw new Error("kvList never reached its last page");
}

function sealed(seed: number): SealedSecret {
  return {
    keyId: `key${seed}`,
    iv: Uint8Array.from({ length: 12 }, (_, i) => (seed + i) % 256),
    ciphertext: Uint8Array.from({ length: 40 + seed }, (_, i) => (seed * 7 + i * 13) % 256),
    tag: Uint8Array.from({ length: 16 }, (_, i) => (255 - seed - i) & 255),
  };
}

function event(i: number, publishedAt = T0 + i): NewEvent {
  return {
    id: v7({ msecs: publishedAt }),
    payload: JSON.stringify({ order: i, note: "ünïcode ✓" }),
    correlationId: `corr-${i}`,
    traceId: `trace-${i}`,
    // A function's event names its publishing span; one from the API has none.
    ...(i % 2 === 0 && { spanId: i.toString(16).padStart(16, "0") }),
    source: i % 2 === 0 ? "function:checkout" : "api:tok_1",
    publishedAt,
  };
}

export function bindingsContract(test: StoreTest): void {
  describe("kv", () => {
    test("every byte value round-trips as a plain Uint8Array of its own", async (store) => {
      const all = Uint8Array.from({ length: 256 * 3 }, (_, i) => i % 256);
      await store.kvPut(ENV, "blobs", "all-bytes", { value: all, expiresAt: null });
      await store.kvPut(ENV, "blobs", "empty", { value: new Uint8Array(0), expiresAt: null });
      const view = new Uint8Array(all.buffer, 10, 5);
      await store.kvPut(ENV, "blobs", "view", { value: view, expiresAt: null });
      all[0] = 99; // the store keeps what it was given, not a reference to the caller's buffer

      const got = await store.kvGet(ENV, "blobs", "all-bytes", T0);
      assert.ok(got);
      assert.equal(Object.getPrototypeOf(got.value), Uint8Array.prototype);
      assert.deepEqual(
        [...got.value],
        Array.from({ length: 256 * 3 }, (_, i) => i % 256),
      );
      assert.equal(got.expiresAt, null);
      assert.deepEqual([...((await store.kvGet(ENV, "blobs", "view", T0))?.value ?? [])], [10, 11, 12, 13, 14]);
      assert.deepEqual(await store.kvGet(ENV, "blobs", "empty", T0), { value: new Uint8Array(0), expiresAt: null });
    });

    test("put replaces value and expiry; keys are scoped by environment and namespace", async (store) => {
      await store.kvPut(ENV, "carts", "u1", { value: bytes("one"), expiresAt: T0 + 1000 });
      await store.kvPut(ENV, "carts", "u1", { value: bytes("two"), expiresAt: null });
      await store.kvPut(ENV, "other", "u1", { value: bytes("elsewhere"), expiresAt: null });
      await store.kvPut("staging", "carts", "u1", { value: bytes("staged"), expiresAt: null });

      const got = await store.kvGet(ENV, "carts", "u1", T0 + 5000);
      assert.equal(text(got?.value), "two");
      assert.equal(got?.expiresAt, null, "a put without expiry clears the old one");
      assert.equal(text((await store.kvGet(ENV, "other", "u1", T0))?.value), "elsewhere");
      assert.equal(text((await store.kvGet("staging", "carts", "u1", T0))?.value), "staged");
      assert.equal(await store.kvGet(ENV, "carts", "u2", T0), undefined);
      assert.equal(await store.kvGet("dev", "carts", "u1", T0), undefined);
    });

    test("an entry is live until its expiresAt and absent from then on", async (store) => {
      await store.kvPut(ENV, "s", "session", { value: bytes("x"), expiresAt: T0 + 1000 });
      assert.deepEqual(await store.kvGet(ENV, "s", "session", T0 + 999), { value: bytes("x"), expiresAt: T0 + 1000 });
      assert.equal(await store.kvGet(ENV, "s", "session", T0 + 1000), undefined);
      assert.equal(await store.kvGet(ENV, "s", "session", T0 + 10_000), undefined);
      assert.deepEqual((await store.kvList(ENV, "s", { limit: 10 }, T0 + 999)).keys, [
        { name: "session", expiresAt: T0 + 1000 },
      ]);
      assert.deepEqual(await store.kvList(ENV, "s", { limit: 10 }, T0 + 1000), { keys: [], cursor: null });
      // Writing again revives it.
      await store.kvPut(ENV, "s", "session", { value: bytes("y"), expiresAt: T0 + 5000 });
      assert.equal(text((await store.kvGet(ENV, "s", "session", T0 + 2000))?.value), "y");
    });

    test("delete reports whether the key existed", async (store) => {
      await store.kvPut(ENV, "ns", "k", { value: bytes("v"), expiresAt: null });
      await store.kvPut(ENV, "ns2", "k", { value: bytes("v2"), expiresAt: null });
      assert.equal(await store.kvDelete(ENV, "ns", "k"), true);
      assert.equal(await store.kvGet(ENV, "ns", "k", T0), undefined);
      assert.equal(await store.kvDelete(ENV, "ns", "k"), false);
      assert.equal(await store.kvDelete(ENV, "ns", "never"), false);
      assert.equal(text((await store.kvGet(ENV, "ns2", "k", T0))?.value), "v2", "other namespaces are untouched");
    });

    test("list orders keys by the bytes of their UTF-8 text, not by UTF-16", async (store) => {
      // In UTF-16 "😀" (a surrogate pair) sorts before U+E000 and U+FF5A; in UTF-8 bytes it sorts after them.
      const keys = ["😀", "ｚ", "\u{E000}", "é", "b", "a/b", "a", "B", "A1", "a b"];
      for (const k of keys) await store.kvPut(ENV, "order", k, { value: bytes(k), expiresAt: null });
      const expected = ["A1", "B", "a", "a b", "a/b", "b", "é", "\u{E000}", "ｚ", "😀"];
      assert.deepEqual(
        (await store.kvList(ENV, "order", { limit: 100 }, T0)).keys.map((k) => k.name),
        expected,
      );
      assert.deepEqual(await allKeys(store, "order", { limit: 3 }), expected);
      assert.deepEqual(await allKeys(store, "order", { limit: 1 }), expected);
    });

    test("list pages through a prefix with cursor and limit, and the last page has no cursor", async (store) => {
      const inside = Array.from({ length: 25 }, (_, i) => `k${String(i).padStart(2, "0")}`);
      for (const k of [...inside, "j9", "l0", "k", "K00", "kz-after"]) {
        await store.kvPut(ENV, "pages", k, { value: bytes(k), expiresAt: null });
      }
      await store.kvPut(ENV, "other", "k05", { value: bytes("x"), expiresAt: null });

      const first = await store.kvList(ENV, "pages", { prefix: "k", limit: 10 }, T0);
      assert.deepEqual(
        first.keys.map((k) => k.name),
        ["k", ...inside.slice(0, 9)],
      );
      assert.equal(first.cursor, "k08");
      const second = await store.kvList(ENV, "pages", { prefix: "k", cursor: "k08", limit: 10 }, T0);
      assert.deepEqual(
        second.keys.map((k) => k.name),
        inside.slice(9, 19),
      );
      const third = await store.kvList(ENV, "pages", { prefix: "k", cursor: "k18", limit: 10 }, T0);
      assert.deepEqual(
        third.keys.map((k) => k.name),
        [...inside.slice(19), "kz-after"],
      );
      assert.equal(third.cursor, null);

      assert.deepEqual(await allKeys(store, "pages", { prefix: "k", limit: 7 }), ["k", ...inside, "kz-after"]);
      // Exactly `limit` keys left: one full page, and it is the last.
      const exact = await store.kvList(ENV, "pages", { prefix: "k1", limit: 10 }, T0);
      assert.equal(exact.keys.length, 10);
      assert.equal(exact.cursor, null);
      assert.deepEqual(await allKeys(store, "pages", { prefix: "k2", limit: 2 }), ["k20", "k21", "k22", "k23", "k24"]);
      assert.deepEqual(await allKeys(store, "pages", { prefix: "nothing", limit: 5 }), []);
      assert.deepEqual(await allKeys(store, "pages", { prefix: "", limit: 100 }), [
        "K00",
        "j9",
        "k",
        ...inside,
        "kz-after",
        "l0",
      ]);
      // A cursor past every key ends the listing.
      assert.deepEqual(await store.kvList(ENV, "pages", { cursor: "zzz", limit: 5 }, T0), { keys: [], cursor: null });
    });

    test("a prefix matches literally: LIKE wildcards, backslashes and the highest code points", async (store) => {
      const keys = [
        "50%",
        "50%_x",
        "50%_y",
        "50abc",
        "50%x_",
        "a_b",
        "axb",
        "a\\b",
        "a\\\\b",
        "z\u{10FFFF}",
        "z\u{10FFFF}a",
      ];
      for (const k of [...keys, "zz", "{", "\u{D7FF}1", "\u{E000}"]) {
        await store.kvPut(ENV, "lit", k, { value: bytes(k), expiresAt: null });
      }
      const names = async (prefix: string) =>
        (await store.kvList(ENV, "lit", { prefix, limit: 100 }, T0)).keys.map((k) => k.name);
      assert.deepEqual(await names("50%_"), ["50%_x", "50%_y"]);
      assert.deepEqual(await names("50%"), ["50%", "50%_x", "50%_y", "50%x_"]);
      assert.deepEqual(await names("a_"), ["a_b"]);
      assert.deepEqual(await names("a\\"), ["a\\\\b", "a\\b"]);
      assert.deepEqual(await names("z\u{10FFFF}"), ["z\u{10FFFF}", "z\u{10FFFF}a"]);
      assert.deepEqual(await names("\u{D7FF}"), ["\u{D7FF}1"]);
    });

    test("list skips expired entries, and a page's limit counts live keys only", async (store) => {
      for (let i = 0; i < 10; i++) {
        const expiresAt = i % 2 === 0 ? T0 + 100 : i === 9 ? T0 + 10_000 : null;
        await store.kvPut(ENV, "ttl", `k${i}`, { value: bytes(`${i}`), expiresAt });
      }
      assert.deepEqual(await allKeys(store, "ttl", { limit: 2 }, T0 + 100), ["k1", "k3", "k5", "k7", "k9"]);
      assert.deepEqual(
        await allKeys(store, "ttl", { limit: 2 }, T0 + 99),
        Array.from({ length: 10 }, (_, i) => `k${i}`),
      );
      const page = await store.kvList(ENV, "ttl", { prefix: "k9", limit: 5 }, T0);
      assert.deepEqual(page.keys, [{ name: "k9", expiresAt: T0 + 10_000 }]);
    });

    test("purgeExpiredKv deletes exactly the entries expired by then and counts them", async (store) => {
      await store.kvPut(ENV, "p", "gone1", { value: bytes("1"), expiresAt: T0 });
      await store.kvPut(ENV, "p", "gone2", { value: bytes("2"), expiresAt: T0 - 50 });
      await store.kvPut("staging", "q", "gone3", { value: bytes("3"), expiresAt: T0 - 1 });
      await store.kvPut(ENV, "p", "later", { value: bytes("4"), expiresAt: T0 + 1 });
      await store.kvPut(ENV, "p", "forever", { value: bytes("5"), expiresAt: null });

      assert.equal(await store.purgeExpiredKv(T0), 3);
      assert.equal(await store.purgeExpiredKv(T0), 0);
      // Purged rows are gone for good, even for a reader whose clock says they were still live.
      assert.equal(await store.kvGet(ENV, "p", "gone1", T0 - 1000), undefined);
      assert.deepEqual(
        (await store.kvList(ENV, "p", { limit: 10 }, T0 - 1000)).keys.map((k) => k.name),
        ["forever", "later"],
      );
      assert.equal(await store.purgeExpiredKv(T0 + 1), 1);
      assert.equal(text((await store.kvGet(ENV, "p", "forever", T0 + 1e12))?.value), "5");
    });
  });

  describe("secrets", () => {
    test("put and get round-trip the sealed bytes; missing names are absent", async (store) => {
      await store.putSecret(ENV, "STRIPE_KEY", sealed(1), T0);
      await store.putSecret(ENV, "DB_URL", sealed(2), T0 + 1);
      await store.putSecret("staging", "STRIPE_KEY", sealed(3), T0 + 2);

      const got = await store.getSecrets(ENV, ["STRIPE_KEY", "DB_URL", "MISSING", "STRIPE_KEY"]);
      assert.deepEqual([...got.keys()].sort(), ["DB_URL", "STRIPE_KEY"]);
      assert.deepEqual(got.get("STRIPE_KEY"), sealed(1));
      assert.deepEqual(got.get("DB_URL"), sealed(2));
      for (const part of ["iv", "ciphertext", "tag"] as const) {
        assert.equal(Object.getPrototypeOf(got.get("DB_URL")?.[part]), Uint8Array.prototype, part);
      }
      assert.deepEqual((await store.getSecrets("staging", ["STRIPE_KEY"])).get("STRIPE_KEY"), sealed(3));
      assert.equal((await store.getSecrets(ENV, [])).size, 0);
      assert.equal((await store.getSecrets(ENV, ["MISSING"])).size, 0);
      assert.equal((await store.getSecrets("dev", ["STRIPE_KEY"])).size, 0);
    });

    test("replacing a secret changes its bytes and updatedAt but keeps createdAt", async (store) => {
      await store.putSecret(ENV, "API_KEY", sealed(1), T0);
      await store.putSecret(ENV, "API_KEY", sealed(9), T0 + 5000);
      assert.deepEqual((await store.getSecrets(ENV, ["API_KEY"])).get("API_KEY"), sealed(9));
      assert.deepEqual(await store.listSecrets(ENV), [{ name: "API_KEY", createdAt: T0, updatedAt: T0 + 5000 }]);
    });

    test("list gives names and times only, by name, per environment", async (store) => {
      await store.putSecret(ENV, "ZETA", sealed(1), T0);
      await store.putSecret(ENV, "ALPHA", sealed(2), T0 + 1);
      await store.putSecret("staging", "OTHER", sealed(3), T0 + 2);
      const list = await store.listSecrets(ENV);
      assert.deepEqual(list, [
        { name: "ALPHA", createdAt: T0 + 1, updatedAt: T0 + 1 },
        { name: "ZETA", createdAt: T0, updatedAt: T0 },
      ]);
      assert.deepEqual(await store.listSecrets("dev"), []);
    });

    test("delete reports whether the secret existed", async (store) => {
      await store.putSecret(ENV, "GONE", sealed(1), T0);
      await store.putSecret("staging", "GONE", sealed(2), T0);
      assert.equal(await store.deleteSecret(ENV, "GONE"), true);
      assert.equal(await store.deleteSecret(ENV, "GONE"), false);
      assert.equal(await store.deleteSecret(ENV, "NEVER"), false);
      assert.equal((await store.getSecrets(ENV, ["GONE"])).size, 0);
      assert.deepEqual(
        (await store.listSecrets("staging")).map((s) => s.name),
        ["GONE"],
      );
      // A secret set again after deletion is new: it gets a new createdAt.
      await store.putSecret(ENV, "GONE", sealed(3), T0 + 10);
      assert.deepEqual(await store.listSecrets(ENV), [{ name: "GONE", createdAt: T0 + 10, updatedAt: T0 + 10 }]);
    });
  });

  describe("topics and events", () => {
    test("creating a topic twice reports false and keeps the first createdAt", async (store) => {
      assert.equal(await store.createTopic(ENV, "orders", T0), true);
      assert.equal(await store.createTopic(ENV, "orders", T0 + 1000), false);
      assert.equal(await store.createTopic("staging", "orders", T0 + 2000), true);
      assert.equal(await store.createTopic(ENV, "audit", T0 + 3000), true);
      assert.deepEqual(await store.getTopic(ENV, "orders"), { env: ENV, name: "orders", createdAt: T0 });
      assert.equal(await store.getTopic(ENV, "missing"), undefined);
      assert.equal(await store.getTopic("dev", "orders"), undefined);
      assert.deepEqual(await store.listTopics(ENV), [
        { env: ENV, name: "audit", createdAt: T0 + 3000 },
        { env: ENV, name: "orders", createdAt: T0 },
      ]);
      assert.deepEqual(await store.listTopics("dev"), []);
    });

    test("publishing to a missing topic throws TopicNotFound and writes nothing", async (store) => {
      await store.createTopic("staging", "orders", T0);
      for (const [env, topic] of [
        [ENV, "orders"],
        [ENV, "nope"],
      ] as const) {
        await assert.rejects(store.publishEvents(env, topic, [event(1)]), (err: Error & { code?: string }) => {
          assert.equal(err.code, "TopicNotFound");
          assert.match(err.message, new RegExp(`${topic}.*${env}`));
          return true;
        });
      }
      await store.createTopic(ENV, "orders", T0);
      assert.deepEqual(await store.listEvents(ENV, "orders", { limit: 10 }), []);
    });

    test("published events are stored in id order with every field, and page by id", async (store) => {
      await store.createTopic(ENV, "orders", T0);
      await store.createTopic(ENV, "other", T0);
      const batch = Array.from({ length: 1203 }, (_, i) => event(i));
      await store.publishEvents(ENV, "orders", batch.slice(0, 3));
      await store.publishEvents(ENV, "orders", batch.slice(3));
      await store.publishEvents(ENV, "other", [event(5000)]);
      await store.publishEvents(ENV, "orders", []);

      const all = await store.listEvents(ENV, "orders", { limit: 5000 });
      assert.deepEqual(
        all,
        batch.map((e) => ({ ...e, env: ENV, topic: "orders" })),
      );
      const page = await store.listEvents(ENV, "orders", { after: batch[9]?.id as string, limit: 3 });
      assert.deepEqual(
        page.map((e) => e.id),
        batch.slice(10, 13).map((e) => e.id),
      );
      assert.equal((await store.listEvents(ENV, "other", { limit: 10 })).length, 1);
    });

    test("a batch is one transaction: when one event cannot be written, none is", async (store) => {
      await store.createTopic(ENV, "orders", T0);
      const first = event(1);
      await store.publishEvents(ENV, "orders", [first]);
      const clash = [event(2), event(3), { ...event(4), id: first.id }];
      await assert.rejects(store.publishEvents(ENV, "orders", clash));
      assert.deepEqual(
        (await store.listEvents(ENV, "orders", { limit: 10 })).map((e) => e.id),
        [first.id],
      );
    });
  });
}
