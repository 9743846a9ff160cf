// The host side of the sandbox's bridges, called directly as the isolate would call them: egress is deny-all, and
// neither bridge trusts what it is sent (the sandbox normalises its calls, but the host checks again).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PaveError } from "../../src/errors.ts";
import { egressFetch } from "../../src/runtime/egress.ts";
import { fetchBridge } from "../../src/runtime/host-bridges.ts";
import { cryptoCall } from "../../src/runtime/host-crypto.ts";

const request = (url: string) => ({
  url,
  method: "GET",
  headers: [["accept", "*/*"]] as [string, string][],
  body: null,
});

describe("egress", () => {
  it("refuses every request with EgressDenied, naming the host", async () => {
    await assert.rejects(
      egressFetch(request("https://api.stripe.com/v1/charges")),
      (err: unknown) =>
        err instanceof PaveError &&
        err.code === "EgressDenied" &&
        err.message.includes("no egress grant for api.stripe.com"),
    );
  });

  it("reaches the sandbox as a message starting with EgressDenied, never as a rejection", async () => {
    const reply = await fetchBridge(request("http://localhost:8700/api/v1/functions"));
    assert.equal(reply.ok, false);
    assert.match(
      (reply as { message: string }).message,
      /^EgressDenied: the function has no egress grant for localhost:8700;/,
    );
  });

  it("answers a malformed request without calling egress", async () => {
    for (const bad of [
      null,
      "https://x",
      { url: 1 },
      { ...request("https://x"), headers: [["a"]] },
      { ...request("https://x"), body: {} },
    ]) {
      assert.deepEqual(await fetchBridge(bad), { ok: false, message: "fetch failed: the request is malformed" });
    }
  });
});

describe("crypto bridge", () => {
  const data = new Uint8Array([0x61, 0x62, 0x63]);

  it("computes what it is allowed to", async () => {
    const reply = await cryptoCall({ op: "digest", algorithm: { name: "SHA-256" }, data });
    assert.equal(reply.ok, true);
    assert.equal(
      Buffer.from((reply as { value: Uint8Array }).value).toString("hex"),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("refuses algorithms, operations and key sizes outside its allow-list, as data", async () => {
    const calls: unknown[] = [
      { op: "digest", algorithm: { name: "MD5" }, data },
      { op: "deriveBits", algorithm: { name: "PBKDF2" } },
      { op: "generateKey", algorithm: { name: "HMAC", hash: { name: "SHA-256" }, length: 1e9 }, usages: ["sign"] },
      {
        op: "importKey",
        format: "pkcs8",
        algorithm: { name: "HMAC", hash: { name: "SHA-256" } },
        keyData: data,
        usages: ["sign"],
      },
      {
        op: "sign",
        algorithm: { name: "HMAC" },
        key: { raw: new Uint8Array(5000), algorithm: { name: "HMAC", hash: { name: "SHA-256" } } },
        data,
      },
    ];
    for (const call of calls) {
      const reply = await cryptoCall(call);
      assert.deepEqual(
        { ok: reply.ok, name: (reply as { name: string }).name },
        { ok: false, name: "NotSupportedError" },
        JSON.stringify(call),
      );
    }
  });

  it("answers garbage with an error value, never a rejection", async () => {
    for (const call of [null, 42, { op: "digest" }, { op: "sign", algorithm: { name: "HMAC" }, key: null, data }]) {
      const reply = await cryptoCall(call);
      assert.equal(reply.ok, false, JSON.stringify(call));
    }
  });
});
