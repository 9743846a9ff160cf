// The Store contract for bearer tokens: stored by hash with their role, scopes and expiry, listed, revoked once.
// Part of storeContract; `test` gives each case a fresh store.
import assert from "node:assert/strict";
import { describe } from "node:test";
import type { Store, TokenRecord } from "../../src/store/index.ts";

const T0 = 1_700_000_000_000;

type StoreTest = (title: string, body: (store: Store) => Promise<void>) => void;

const admin: TokenRecord = {
  id: "tok_1",
  hash: "a".repeat(64),
  name: "admin",
  role: "admin",
  envs: ["*"],
  createdAt: T0,
  expiresAt: null,
  revokedAt: null,
};
const dev: TokenRecord = {
  id: "tok_2",
  hash: "b".repeat(64),
  name: "ci",
  role: "developer",
  envs: ["feature-x", "staging"],
  createdAt: T0 + 1,
  expiresAt: T0 + 86_400_000,
  revokedAt: T0 + 5,
};

export function tokensContract(test: StoreTest): void {
  describe("tokens", () => {
    test("insert, find by hash, count; scopes and times come back as stored", async (store) => {
      assert.equal(await store.countTokens(), 0);
      await store.insertToken(admin);
      await store.insertToken(dev);
      assert.equal(await store.countTokens(), 2);
      assert.deepEqual(await store.findToken(admin.hash), admin);
      assert.deepEqual(await store.findToken(dev.hash), dev);
      assert.equal(await store.findToken("c".repeat(64)), undefined);
      await assert.rejects(store.insertToken({ ...dev, id: "tok_3" }), "a hash is unique");
    });

    test("listTokens gives every token, oldest first, revoked ones included", async (store) => {
      assert.deepEqual(await store.listTokens(), []);
      await store.insertToken(dev);
      await store.insertToken(admin);
      assert.deepEqual(await store.listTokens(), [admin, dev]);
    });

    test("revokeToken stamps a live token once and tells an unknown id", async (store) => {
      await store.insertToken(admin);
      assert.deepEqual(await store.revokeToken(admin.id, T0 + 10), { ...admin, revokedAt: T0 + 10 });
      assert.deepEqual(await store.revokeToken(admin.id, T0 + 20), { ...admin, revokedAt: T0 + 10 }, "first time kept");
      assert.equal((await store.findToken(admin.hash))?.revokedAt, T0 + 10);
      assert.equal(await store.revokeToken("tok_nope", T0), undefined);
    });
  });
}
