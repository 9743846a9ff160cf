// The Authenticator with an injected clock: every malformed header refused with its reason, expiry to the
// millisecond, and the cache bound — a revoke on this node evicts at once, other nodes see it within TOKEN_CACHE_MS.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Authenticator, createToken, TOKEN_CACHE_MS } from "../../src/auth/index.ts";
import { openStore, type Store } from "../../src/store/index.ts";

const T0 = 1_700_000_000_000;

let store: Store;
before(async () => {
  store = await openStore(":memory:");
});
after(() => store.close());

/** Asserts `verify(header)` is refused as Unauthorized with a message matching `reason`. */
async function refused(auth: Authenticator, header: string | undefined, reason: RegExp): Promise<void> {
  await assert.rejects(auth.verify(header), (err: { code?: string; message?: string }) => {
    assert.equal(err.code, "Unauthorized");
    assert.match(err.message ?? "", reason);
    return true;
  });
}

describe("Authenticator", () => {
  it("refuses malformed Authorization headers, each with what is wrong", async () => {
    const auth = new Authenticator(store, () => T0);
    const { token } = await createToken(store, { name: "t", role: "viewer", now: T0 });
    await refused(auth, undefined, /missing bearer token/);
    await refused(auth, "   ", /missing bearer token/);
    await refused(auth, token, /not of the Bearer scheme/);
    await refused(auth, `Basic ${token}`, /not of the Bearer scheme/);
    await refused(auth, "Bearer", /no token after Bearer/);
    await refused(auth, "Bearer ghp_abcdef", /not a Pave token/);
    await refused(auth, "Bearer garbage!!", /not a Pave token/);
    await refused(auth, `Bearer ${token.slice(0, -1)}`, /malformed Pave token: 47 characters/);
    await refused(auth, `Bearer ${token}x`, /malformed Pave token/);
    await refused(auth, `Bearer ${token} extra`, /malformed Pave token/);
    await refused(auth, `Bearer pave_${"a".repeat(42)}*`, /malformed Pave token/);
    await refused(auth, `Bearer ${"pave_".padEnd(2000, "a")}`, /2007 characters, too long/);
    assert.equal((await auth.verify(`bearer  ${token}`)).name, "t", "the scheme is case-insensitive");
  });

  it("refuses an unknown token without naming it", async () => {
    const auth = new Authenticator(store, () => T0);
    const unknown = `pave_${"A".repeat(43)}`;
    await assert.rejects(auth.verify(`Bearer ${unknown}`), (err: Error) => {
      assert.match(err.message, /unknown token/);
      assert.ok(!err.message.includes(unknown), "the message never echoes a secret");
      return true;
    });
  });

  it("accepts a token until the millisecond it expires", async () => {
    let now = T0;
    const auth = new Authenticator(store, () => now);
    const { token, record } = await createToken(store, { name: "short", role: "developer", expiresAt: T0 + 5000, now });
    assert.equal((await auth.verify(`Bearer ${token}`)).id, record.id);
    now = T0 + 4999;
    assert.equal((await auth.verify(`Bearer ${token}`)).id, record.id, "still valid from the cache");
    now = T0 + 5000;
    await refused(auth, `Bearer ${token}`, /token short \(.+\) expired at 2023-11-14T22:13:25\.000Z/);
  });

  it("stops a revoked token at once when told (forget), and within TOKEN_CACHE_MS when not", async () => {
    let now = T0;
    const auth = new Authenticator(store, () => now);
    const a = await createToken(store, { name: "a", role: "admin", now });
    const b = await createToken(store, { name: "b", role: "admin", now });
    await auth.verify(`Bearer ${a.token}`);
    await auth.verify(`Bearer ${b.token}`);

    await store.revokeToken(a.record.id, now);
    auth.forget(a.record.hash);
    await refused(auth, `Bearer ${a.token}`, /token a \(.+\) was revoked at/);

    // Revoked by another node: this one only learns it when its cache entry ages out.
    await store.revokeToken(b.record.id, now);
    now += TOKEN_CACHE_MS - 1;
    assert.equal((await auth.verify(`Bearer ${b.token}`)).name, "b", "cached, as the documented bound allows");
    now += 1;
    await refused(auth, `Bearer ${b.token}`, /was revoked/);
  });
});
