// The host side of the sandbox's bridges, called directly as the isolate would call them: fetch hands requests to
// egress and never rejects, and neither bridge trusts what it is sent (the sandbox normalises its calls, but the host checks again).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EgressError } from "../../src/runtime/bindings/egress.ts";
import { fetchBridge } from "../../src/runtime/host-bridges.ts";
import { cryptoCall } from "../../src/runtime/host-crypto.ts";

const request = (url: string) => ({
  url,
  method: "GET",
  headers: [["accept", "*/*"]] as [string, string][],
  body: null,
});

describe("fetch bridge", () => {
  const refuse = () =>
    Promise.reject(new EgressError("EgressDenied", "api.stripe.com is not in this function's egress list"));

  it("reaches the sandbox as a message starting with the code, never as a rejection", async () => {
    const reply = await fetchBridge(refuse, request("https://api.stripe.com/v1/charges"), "inv-1");
    assert.deepEqual(reply, {
      ok: false,
      message: "EgressDenied: api.stripe.com is not in this function's egress list",
    });
  });

  it("passes the request and the invocation to egress, and the response back", async () => {
    const seen: unknown[] = [];
    const response = {
      status: 200,
      statusText: "OK",
      headers: [],
      body: new Uint8Array([1]),
      url: "https://x/",
      redirected: false,
    };
    const reply = await fetchBridge(
      async (req, id) => {
        seen.push(req.url, id);
        return response;
      },
      request("https://x/"),
      "inv-2",
    );
    assert.deepEqual(reply, { ok: true, response });
    assert.deepEqual(seen, ["https://x/", "inv-2"]);
  });

  it("answers a malformed request without calling egress", async () => {
    for (const bad of [
      null,
      "https://x",
      { url: 1 },
      { ...request("https://x"), headers: [["a"]] },
      { ...request("https://x"), body: {} },
    ]) {
      assert.deepEqual(await fetchBridge(refuse, bad, "inv-3"), {
        ok: false,
        message: "fetch failed: the request is malformed",
      });
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
