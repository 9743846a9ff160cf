// The host half of crypto.subtle: one call per operation from the sandbox (subtle.ts), run by Node's Web Crypto.
// Keys arrive as raw material each time; errors go back as data (name, message), never as thrown objects.
import { webcrypto } from "node:crypto";

const { subtle } = webcrypto;
type Key = webcrypto.CryptoKey;

/** What the sandbox may ask for; anything else is refused before it reaches Web Crypto. */
const DIGESTS = new Set(["SHA-1", "SHA-256", "SHA-384", "SHA-512"]);
const KEY_ALGORITHMS = new Set(["HMAC", "AES-GCM", "AES-CBC", "AES-CTR"]);
const OPS = new Set(["digest", "importKey", "exportKey", "generateKey", "sign", "verify", "encrypt", "decrypt"]);
/** Generated or imported keys larger than this are refused: the work happens on the host. */
const MAX_KEY_BYTES = 4096;

export type CryptoReply = { ok: true; value: unknown } | { ok: false; name: string; message: string; dom: boolean };

interface KeyParts {
  raw: Uint8Array;
  algorithm: Record<string, unknown>;
  usages: string[];
}

class Refused extends Error {
  constructor(
    readonly domName: string,
    message: string,
  ) {
    super(message);
  }
}

const obj = (v: unknown, what: string): Record<string, unknown> => {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new TypeError(`${what} must be an object`);
  return v as Record<string, unknown>;
};
const bytes = (v: unknown, what: string): Uint8Array => {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${what} must be bytes`);
  return v;
};

/** The algorithm, checked against the allow-list (the sandbox normalised it; the host does not trust that). */
function algorithmOf(v: unknown, allowed: Set<string>): Record<string, unknown> & { name: string } {
  const alg = obj(v, "the algorithm");
  if (typeof alg.name !== "string" || !allowed.has(alg.name)) {
    throw new Refused("NotSupportedError", `the algorithm ${String(alg.name)} is not supported`);
  }
  const hash = alg.hash as { name?: unknown } | undefined;
  if (hash !== undefined && !DIGESTS.has(String(hash?.name))) {
    throw new Refused("NotSupportedError", `the hash ${String(hash?.name)} is not supported`);
  }
  if (typeof alg.length === "number" && alg.length > MAX_KEY_BYTES * 8) {
    throw new Refused("NotSupportedError", `keys longer than ${MAX_KEY_BYTES * 8} bits are not supported`);
  }
  return alg as Record<string, unknown> & { name: string };
}

function usagesOf(v: unknown): webcrypto.KeyUsage[] {
  if (!Array.isArray(v) || !v.every((u) => typeof u === "string")) throw new TypeError("usages must be strings");
  return v as webcrypto.KeyUsage[];
}

/** A key as the sandbox keeps it: raw material, algorithm (plain data), usages. */
async function partsOf(key: Key): Promise<KeyParts> {
  const raw = new Uint8Array(await subtle.exportKey("raw", key));
  const a = key.algorithm as webcrypto.KeyAlgorithm & { hash?: { name: string }; length?: number };
  const algorithm: Record<string, unknown> = { name: a.name };
  if (a.hash) algorithm.hash = { name: a.hash.name };
  if (a.length !== undefined) algorithm.length = a.length;
  return { raw, algorithm, usages: [...key.usages] };
}

/** The key a sandbox call carries, imported for just `usages`. */
function keyOf(v: unknown, usages: webcrypto.KeyUsage[]): Promise<Key> {
  const k = obj(v, "the key");
  const raw = bytes(k.raw, "the key material");
  if (raw.byteLength > MAX_KEY_BYTES) throw new Refused("NotSupportedError", "the key is too long");
  return subtle.importKey("raw", raw, algorithmOf(k.algorithm, KEY_ALGORITHMS), true, usages);
}

async function perform(call: Record<string, unknown>): Promise<unknown> {
  const op = String(call.op);
  if (!OPS.has(op)) throw new Refused("NotSupportedError", `${op} is not supported`);
  switch (op) {
    case "digest":
      return new Uint8Array(await subtle.digest(algorithmOf(call.algorithm, DIGESTS), bytes(call.data, "data")));
    case "importKey": {
      const format = call.format;
      if (format !== "raw" && format !== "jwk") throw new Refused("NotSupportedError", "only raw and jwk keys");
      const alg = algorithmOf(call.algorithm, KEY_ALGORITHMS);
      const usages = usagesOf(call.usages);
      const key =
        format === "raw"
          ? await subtle.importKey("raw", bytes(call.keyData, "keyData"), alg, true, usages)
          : await subtle.importKey("jwk", obj(call.keyData, "the JWK") as webcrypto.JsonWebKey, alg, true, usages);
      return partsOf(key);
    }
    case "generateKey": {
      const key = await subtle.generateKey(algorithmOf(call.algorithm, KEY_ALGORITHMS), true, usagesOf(call.usages));
      return partsOf(key as Key);
    }
    case "exportKey":
      return subtle.exportKey("jwk", await keyOf(call.key, usagesOf(call.usages)));
    case "sign":
      return new Uint8Array(
        await subtle.sign(
          algorithmOf(call.algorithm, KEY_ALGORITHMS),
          await keyOf(call.key, ["sign"]),
          bytes(call.data, "data"),
        ),
      );
    case "verify":
      return subtle.verify(
        algorithmOf(call.algorithm, KEY_ALGORITHMS),
        await keyOf(call.key, ["verify"]),
        bytes(call.signature, "signature"),
        bytes(call.data, "data"),
      );
    default: {
      const usage = op as "encrypt" | "decrypt";
      const alg = algorithmOf(call.algorithm, KEY_ALGORITHMS) as unknown as webcrypto.AesGcmParams;
      const key = await keyOf(call.key, [usage]);
      const data = bytes(call.data, "data");
      return new Uint8Array(
        await (usage === "encrypt" ? subtle.encrypt(alg, key, data) : subtle.decrypt(alg, key, data)),
      );
    }
  }
}

/** Runs one crypto.subtle operation for the sandbox. Never rejects: errors come back as `{ ok: false, … }`. */
export async function cryptoCall(call: unknown): Promise<CryptoReply> {
  try {
    return { ok: true, value: await perform(obj(call, "the call")) };
  } catch (err) {
    if (err instanceof Refused) return { ok: false, name: err.domName, message: err.message, dom: true };
    const e = err as { name?: unknown; message?: unknown };
    const message = typeof e?.message === "string" ? e.message : String(err);
    const name = typeof e?.name === "string" ? e.name : "Error";
    return { ok: false, name, message, dom: err instanceof DOMException };
  }
}
