// crypto.subtle inside a real isolate against published known answers: FIPS 180 digests, HMAC from RFC 2202 and
// RFC 4231, AES-GCM from the GCM specification's test cases, AES-CBC and AES-CTR from NIST SP 800-38A; plus the
// Web Crypto rules on keys (usages, extractability) and the errors it names.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Harness, startHarness } from "./sandbox-harness.ts";

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

/** Helpers every snippet gets: hex in and out, and a rejection turned into its name. */
const PRELUDE = `
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
const bytes = (h) => new Uint8Array(h.match(/../g).map((x) => parseInt(x, 16)));
const text = (s) => new TextEncoder().encode(s);
const rejection = async (p) => { try { await p; return "resolved"; } catch (e) { return e.name; } };
const subtle = crypto.subtle;
`;
const run = (body: string) => h.evaluate(PRELUDE + body);

describe("crypto.subtle.digest", () => {
  it("gives the FIPS 180 answers for SHA-1, SHA-256, SHA-384 and SHA-512", async () => {
    assert.deepEqual(
      await run(`
        const out = {};
        for (const alg of ["SHA-1", "SHA-256", "SHA-384", "SHA-512"]) out[alg] = hex(await subtle.digest(alg, text("abc")));
        out.empty = hex(await subtle.digest({ name: "sha-256" }, new Uint8Array(0)));
        // A view's own bytes, not its whole buffer.
        out.view = hex(await subtle.digest("SHA-256", new Uint8Array(text("xabcx").buffer, 1, 3)));
        return out;`),
      {
        "SHA-1": "a9993e364706816aba3e25717850c26c9cd0d89d",
        "SHA-256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "SHA-384": "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
        "SHA-512":
          "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        empty: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        view: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      },
    );
  });

  it("rejects (never throws) for unsupported algorithms and bad data", async () => {
    assert.deepEqual(
      await run(`
        const p = subtle.digest("MD5", text("abc"));
        return [p instanceof Promise, await rejection(p), await rejection(subtle.digest("SHA-256", "not bytes")),
          await rejection(subtle.digest({}, text("abc")))];`),
      [true, "NotSupportedError", "TypeError", "TypeError"],
    );
  });
});

describe("HMAC", () => {
  it("signs RFC 4231 test cases 1 and 2 and RFC 2202 test case 1", async () => {
    assert.deepEqual(
      await run(`
        const sign = async (hash, key, data) => {
          const k = await subtle.importKey("raw", key, { name: "HMAC", hash }, false, ["sign"]);
          return hex(await subtle.sign("HMAC", k, data));
        };
        const tc1Key = new Uint8Array(20).fill(0x0b);
        return [
          await sign("SHA-256", tc1Key, text("Hi There")),
          await sign("SHA-512", tc1Key, text("Hi There")),
          await sign("SHA-256", text("Jefe"), text("what do ya want for nothing?")),
          await sign({ name: "SHA-1" }, tc1Key, text("Hi There")),
        ];`),
      [
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        "b617318655057264e28bc0b6fb378c8ef146be00",
      ],
    );
  });

  it("verifies good signatures and refuses tampered ones", async () => {
    assert.deepEqual(
      await run(`
        const key = await subtle.importKey("raw", text("Jefe"), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
        const sig = new Uint8Array(await subtle.sign("HMAC", key, text("what do ya want for nothing?")));
        const good = await subtle.verify("HMAC", key, sig, text("what do ya want for nothing?"));
        const otherData = await subtle.verify("HMAC", key, sig, text("what do ya want for something?"));
        sig[0] ^= 1;
        const tampered = await subtle.verify("HMAC", key, sig, text("what do ya want for nothing?"));
        return [good, otherData, tampered];`),
      [true, false, false],
    );
  });

  it("keys describe themselves, keep their material private and follow their usages", async () => {
    assert.deepEqual(
      await run(`
        const key = await subtle.importKey("raw", new Uint8Array(20).fill(0x0b), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
        const described = JSON.parse(JSON.stringify([key instanceof CryptoKey, key.type, key.extractable, key.algorithm,
          key.usages, Object.keys(key), Object.prototype.toString.call(key)]));
        // Changing what the key shows changes nothing inside it.
        key.algorithm.name = "AES-GCM";
        key.usages.push("verify");
        const stillSigns = hex(await subtle.sign("HMAC", key, text("Hi There"))).slice(0, 8);
        return [described, stillSigns,
          await rejection(subtle.verify("HMAC", key, new Uint8Array(32), text("x"))),
          await rejection(subtle.exportKey("raw", key)),
          await rejection(subtle.sign("HMAC", { type: "secret" }, text("x"))),
          (() => { try { new CryptoKey(); return "constructed"; } catch (e) { return e.name; } })()];`),
      [
        [
          true,
          "secret",
          false,
          { name: "HMAC", hash: { name: "SHA-256" }, length: 160 },
          ["sign"],
          [],
          "[object CryptoKey]",
        ],
        "b0344c61",
        "InvalidAccessError",
        "InvalidAccessError",
        "TypeError",
        "TypeError",
      ],
    );
  });

  it("exports extractable keys as raw bytes and JWK, and imports them back", async () => {
    assert.deepEqual(
      await run(`
        const key = await subtle.importKey("raw", text("Jefe"), { name: "HMAC", hash: "SHA-256" }, true, ["sign", "verify"]);
        const raw = new TextDecoder().decode(await subtle.exportKey("raw", key));
        const jwk = await subtle.exportKey("jwk", key);
        const back = await subtle.importKey("jwk", jwk, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
        const sig = hex(await subtle.sign("HMAC", back, text("what do ya want for nothing?")));
        return [raw, jwk, sig.slice(0, 8)];`),
      ["Jefe", { key_ops: ["sign", "verify"], ext: true, kty: "oct", k: "SmVmZQ", alg: "HS256" }, "5bdcc146"],
    );
  });

  it("generates keys of the hash's block size", async () => {
    assert.deepEqual(
      await run(`
        const key = await subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, true, ["sign"]);
        const raw = new Uint8Array(await subtle.exportKey("raw", key));
        return [raw.length, key.algorithm.length, raw.some((b) => b !== 0)];`),
      [64, 512, true],
    );
  });

  it("refuses what Web Crypto refuses", async () => {
    assert.deepEqual(
      await run(`
        const alg = { name: "HMAC", hash: "SHA-256" };
        return [
          await rejection(subtle.importKey("raw", text("k"), alg, false, [])),
          await rejection(subtle.importKey("raw", text("k"), alg, false, ["encrypt"])),
          await rejection(subtle.importKey("spki", text("k"), alg, false, ["sign"])),
          await rejection(subtle.importKey("raw", text("k"), { name: "HMAC", hash: "MD5" }, false, ["sign"])),
          await rejection(subtle.importKey("raw", text("k"), { name: "RSA-PSS", hash: "SHA-256" }, false, ["sign"])),
          await rejection(subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"])),
          await rejection(subtle.deriveBits({ name: "HKDF" }, null, 128)),
          await rejection(subtle.wrapKey("raw", null, null, "AES-KW")),
        ];`),
      [
        "SyntaxError",
        "SyntaxError",
        "NotSupportedError",
        "NotSupportedError",
        "NotSupportedError",
        "NotSupportedError",
        "NotSupportedError",
        "NotSupportedError",
      ],
    );
  });
});

describe("AES", () => {
  it("AES-GCM gives the GCM specification's test case 2 and decrypts it back", async () => {
    assert.deepEqual(
      await run(`
        const key = await subtle.importKey("raw", new Uint8Array(16), "AES-GCM", false, ["encrypt", "decrypt"]);
        const iv = new Uint8Array(12);
        const sealed = await subtle.encrypt({ name: "AES-GCM", iv }, key, new Uint8Array(16));
        const opened = await subtle.decrypt({ name: "AES-GCM", iv }, key, sealed);
        return [hex(sealed), hex(opened), key.algorithm];`),
      [
        "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf",
        "00000000000000000000000000000000",
        { name: "AES-GCM", length: 128 },
      ],
    );
  });

  it("AES-GCM authenticates: a changed byte or additional data fails with OperationError", async () => {
    assert.deepEqual(
      await run(`
        const key = await subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
        const iv = crypto.getRandomValues(new Uint8Array(12));
        const sealed = new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv, additionalData: text("header") }, key, text("secret")));
        const opened = new TextDecoder().decode(await subtle.decrypt({ name: "AES-GCM", iv, additionalData: text("header") }, key, sealed));
        const wrongAad = await rejection(subtle.decrypt({ name: "AES-GCM", iv, additionalData: text("other") }, key, sealed));
        sealed[0] ^= 1;
        const tampered = await rejection(subtle.decrypt({ name: "AES-GCM", iv, additionalData: text("header") }, key, sealed));
        return [opened, wrongAad, tampered, sealed.length, await rejection(subtle.exportKey("raw", key))];`),
      ["secret", "OperationError", "OperationError", 6 + 16, "InvalidAccessError"],
    );
  });

  it("AES-CBC and AES-CTR give NIST SP 800-38A's answers", async () => {
    assert.deepEqual(
      await run(`
        const keyBytes = bytes("2b7e151628aed2a6abf7158809cf4f3c");
        const block = bytes("6bc1bee22e409f96e93d7e117393172a");
        const cbc = await subtle.importKey("raw", keyBytes, "AES-CBC", false, ["encrypt", "decrypt"]);
        const cbcOut = await subtle.encrypt({ name: "AES-CBC", iv: bytes("000102030405060708090a0b0c0d0e0f") }, cbc, block);
        const ctr = await subtle.importKey("raw", keyBytes, { name: "AES-CTR" }, false, ["encrypt"]);
        const ctrOut = await subtle.encrypt({ name: "AES-CTR", counter: bytes("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"), length: 64 }, ctr, block);
        const back = await subtle.decrypt({ name: "AES-CBC", iv: bytes("000102030405060708090a0b0c0d0e0f") }, cbc, cbcOut);
        // CBC adds a block of PKCS#7 padding after the known answer.
        return [hex(cbcOut).slice(0, 32), new Uint8Array(cbcOut).length, hex(ctrOut), hex(back),
          await rejection(subtle.encrypt({ name: "AES-GCM", iv: new Uint8Array(12) }, cbc, block)),
          await rejection(subtle.sign("HMAC", cbc, block))];`),
      [
        "7649abac8119b246cee98e9b12e9197d",
        32,
        "874d6191b620e3261bef6864990db6ce",
        "6bc1bee22e409f96e93d7e117393172a",
        "InvalidAccessError",
        "InvalidAccessError",
      ],
    );
  });
});
