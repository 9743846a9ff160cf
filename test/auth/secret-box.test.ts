// The secret box: what it seals opens only under the same key, environment and name; the master key comes from
// PAVE_MASTER_KEY or a 0600 file it creates once and then reuses; a malformed key stops the server.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { SecretBox } from "../../src/auth/index.ts";
import type { SealedSecret } from "../../src/store/index.ts";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pave-secretbox-"));
  dirs.push(dir);
  return dir;
}

const keyText = () => randomBytes(32).toString("base64");
const boxOf = (key = keyText()) => SecretBox.load({ env: { PAVE_MASTER_KEY: key }, dataDir: "/nonexistent" });

function assertUndecryptable(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: Error & { code?: string; status?: number }) => {
    assert.equal(err.code, "SecretUndecryptable");
    assert.equal(err.status, 500);
    assert.match(err.message, pattern);
    return true;
  });
}

function flip(bytes: Uint8Array, at = 0): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[at] = (copy[at] ?? 0) ^ 1;
  return copy;
}

describe("sealing and opening", () => {
  it("round-trips text of any size, with a fresh IV per seal", async () => {
    const box = await boxOf();
    for (const value of ["x", "sk_live_ünïcode ✓ 😀", "a\nb\r\n", "z".repeat(64 * 1024)]) {
      const sealed = box.seal("prod", "API_KEY", value);
      assert.equal(sealed.keyId, box.keyId);
      assert.equal(sealed.iv.byteLength, 12);
      assert.equal(sealed.tag.byteLength, 16);
      // A 1-byte ciphertext equals a 1-byte text by chance once in 256 seals: only longer texts can show it.
      if (value.length >= 4) {
        assert.equal(
          Buffer.from(sealed.ciphertext).includes(Buffer.from(value)),
          false,
          "the ciphertext is not the text",
        );
      }
      assert.equal(box.open("prod", "API_KEY", sealed), value);
    }
    const a = box.seal("prod", "K", "same");
    const b = box.seal("prod", "K", "same");
    assert.notDeepEqual(a.iv, b.iv);
    assert.notDeepEqual(a.ciphertext, b.ciphertext);
  });

  it("keyId is the first 16 hex of SHA-256 of the key and is the same for the same key", async () => {
    const key = keyText();
    const { createHash } = await import("node:crypto");
    const expected = createHash("sha256").update(Buffer.from(key, "base64")).digest("hex").slice(0, 16);
    assert.equal((await boxOf(key)).keyId, expected);
    assert.equal((await boxOf(key)).keyId, expected);
    assert.notEqual((await boxOf()).keyId, expected);
  });

  it("refuses altered ciphertext, tag or IV", async () => {
    const box = await boxOf();
    const sealed = box.seal("prod", "API_KEY", "secret value");
    const altered: SealedSecret[] = [
      { ...sealed, ciphertext: flip(sealed.ciphertext, 3) },
      { ...sealed, tag: flip(sealed.tag, 15) },
      { ...sealed, iv: flip(sealed.iv) },
      { ...sealed, tag: sealed.tag.slice(0, 12) },
      { ...sealed, ciphertext: sealed.ciphertext.slice(1) },
    ];
    for (const s of altered) assertUndecryptable(() => box.open("prod", "API_KEY", s), /API_KEY in prod.*altered/);
    assert.equal(box.open("prod", "API_KEY", sealed), "secret value", "the original still opens");
  });

  it("refuses a ciphertext moved to another name or environment", async () => {
    const box = await boxOf();
    const sealed = box.seal("prod", "STRIPE_KEY", "sk_live_1");
    assertUndecryptable(() => box.open("prod", "OTHER_KEY", sealed), /OTHER_KEY in prod/);
    assertUndecryptable(() => box.open("staging", "STRIPE_KEY", sealed), /STRIPE_KEY in staging/);
    // The AAD is `${env}/${name}`: shifting the boundary does not reproduce it.
    const edge = box.seal("a", "B_C", "v");
    assertUndecryptable(() => box.open("a/B", "_C", edge), /_C in a\/B/);
  });

  it("refuses a secret sealed under another master key, by its key id or by the cipher itself", async () => {
    const one = await boxOf();
    const other = await boxOf();
    const sealed = one.seal("prod", "API_KEY", "v");
    assertUndecryptable(
      () => other.open("prod", "API_KEY", sealed),
      new RegExp(`sealed with master key ${one.keyId}, but this server's key is ${other.keyId}`),
    );
    // Even with the key id forged to match, the wrong key fails authentication.
    assertUndecryptable(() => other.open("prod", "API_KEY", { ...sealed, keyId: other.keyId }), /altered/);
  });
});

describe("the master key", () => {
  it("is created on first start as 32 random bytes in base64, mode 0600, and reused afterwards", async () => {
    const dataDir = await tempDir();
    const first = await SecretBox.load({ env: {}, dataDir });
    const file = join(dataDir, "master-key");
    assert.equal(first.source, file);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const text = (await readFile(file, "utf8")).trim();
    assert.equal(Buffer.from(text, "base64").byteLength, 32);
    assert.equal(Buffer.from(text, "base64").toString("base64"), text);

    const sealed = first.seal("prod", "K", "kept across restarts");
    const second = await SecretBox.load({ env: {}, dataDir });
    assert.equal(second.keyId, first.keyId);
    assert.equal(second.open("prod", "K", sealed), "kept across restarts");
    assert.equal((await readFile(file, "utf8")).trim(), text, "the file is not rewritten");

    const elsewhere = await SecretBox.load({ env: {}, dataDir: await tempDir() });
    assert.notEqual(elsewhere.keyId, first.keyId, "each data directory gets its own random key");
  });

  it("two servers starting at once on one data directory agree on one key", async () => {
    const dataDir = await tempDir();
    const boxes = await Promise.all(Array.from({ length: 8 }, () => SecretBox.load({ env: {}, dataDir })));
    assert.equal(new Set(boxes.map((b) => b.keyId)).size, 1);
  });

  it("PAVE_MASTER_KEY wins over the key file and creates none", async () => {
    const dataDir = await tempDir();
    const key = keyText();
    const box = await SecretBox.load({ env: { PAVE_MASTER_KEY: `${key}\n` }, dataDir });
    assert.equal(box.source, "PAVE_MASTER_KEY");
    assert.equal(box.keyId, (await boxOf(key)).keyId);
    await assert.rejects(stat(join(dataDir, "master-key")), { code: "ENOENT" });
  });

  it("rejects a PAVE_MASTER_KEY that is not the base64 of 32 bytes, without echoing it", async () => {
    const bad = [
      "",
      "too-short",
      randomBytes(16).toString("base64"),
      randomBytes(33).toString("base64"),
      randomBytes(32).toString("hex"),
      randomBytes(32).toString("base64url"),
      `${keyText().slice(0, 43)}!`,
      keyText().replace(/=$/, ""),
    ];
    for (const value of bad) {
      await assert.rejects(
        SecretBox.load({ env: { PAVE_MASTER_KEY: value }, dataDir: "/nonexistent" }),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, "InvalidConfig", JSON.stringify(value));
          assert.match(err.message, /^PAVE_MASTER_KEY must be the base64 of 32 random bytes/);
          if (value.length > 3) assert.equal(err.message.includes(value), false, "the message must not repeat the key");
          return true;
        },
      );
    }
  });

  it("rejects a key file with other contents, naming the file", async () => {
    const dataDir = await tempDir();
    await writeFile(join(dataDir, "master-key"), "not a key\n", { mode: 0o600 });
    await assert.rejects(SecretBox.load({ env: {}, dataDir }), (err: Error & { code?: string }) => {
      assert.equal(err.code, "InvalidConfig");
      assert.ok(err.message.includes(join(dataDir, "master-key")), err.message);
      return true;
    });
  });
});
