// crypto.subtle for secret-key work: digests, HMAC, AES-GCM/CBC/CTR. The operations run in the host's Web Crypto
// (Node's webcrypto, via one bridge); keys live here, their material private to the CryptoKey.
import { type HostCryptoCall, host } from "./bridges.ts";
import { DOMException } from "./dom-exception.ts";

const DIGESTS = ["SHA-1", "SHA-256", "SHA-384", "SHA-512"];
/** Secret-key algorithms (the host's Web Crypto checks which usages each allows). */
const KEY_ALGORITHMS = ["HMAC", "AES-GCM", "AES-CBC", "AES-CTR"];
const FORMATS = ["raw", "jwk"];

const notSupported = (what: string) => new DOMException(`${what} is not supported`, "NotSupportedError");

/** The registered name matching `name` case-insensitively, as the standard's normalisation does. */
function registered(name: unknown, names: string[], op: string): string {
  const wanted = String(name).toUpperCase();
  const found = names.find((n) => n === wanted);
  if (found === undefined) throw notSupported(`${op} with algorithm "${String(name)}"`);
  return found;
}

/** A copy of a BufferSource's bytes. */
function bytesOf(value: unknown, what: string): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  if (ArrayBuffer.isView(value)) {
    return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  }
  throw new TypeError(`${what} is not an ArrayBuffer or an ArrayBufferView`);
}

const bufferOf = (u8: Uint8Array): ArrayBuffer =>
  u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength) as ArrayBuffer;

/** Normalises an algorithm argument to plain data for the host: known members only, bytes copied. */
function normalise(algorithm: unknown, names: string[], op: string): Record<string, unknown> {
  const given = (typeof algorithm === "string" ? { name: algorithm } : algorithm) as Record<string, unknown>;
  if (given === null || typeof given !== "object") throw new TypeError("the algorithm must be a string or an object");
  if (given.name === undefined) throw new TypeError("the algorithm has no name");
  const out: Record<string, unknown> = { name: registered(given.name, names, op) };
  const hash = given.hash;
  if (hash !== undefined) {
    const name = typeof hash === "string" ? hash : (hash as { name?: unknown } | null)?.name;
    out.hash = { name: registered(name, DIGESTS, op) };
  }
  for (const key of ["length", "tagLength"]) if (given[key] !== undefined) out[key] = Number(given[key]);
  for (const key of ["iv", "additionalData", "counter"]) {
    if (given[key] !== undefined) out[key] = bytesOf(given[key], `algorithm.${key}`);
  }
  return out;
}

function usagesOf(usages: unknown): string[] {
  if (usages === null || typeof usages !== "object" || !(Symbol.iterator in usages)) {
    throw new TypeError("keyUsages must be a sequence of strings");
  }
  return [...(usages as Iterable<unknown>)].map(String);
}

async function call(c: HostCryptoCall): Promise<unknown> {
  const reply = await host.crypto(c);
  if (reply.ok) return reply.value;
  if (reply.dom) throw new DOMException(reply.message, reply.name);
  if (reply.name === "TypeError") throw new TypeError(reply.message);
  throw new DOMException(reply.message, "OperationError");
}

interface KeyParts {
  raw: Uint8Array;
  algorithm: Record<string, unknown>;
  usages: string[];
}

/** The key's material and algorithm as the host needs them; null for anything that is not a CryptoKey. */
let partsOf: (key: unknown) => KeyParts | null;

class CryptoKey {
  #extractable: boolean;
  #parts: KeyParts;
  /** What `algorithm` and `usages` return: copies, so function code changing them changes nothing inside. */
  #algorithm: Record<string, unknown>;
  #usages: string[];

  constructor(key: unknown, parts?: KeyParts, extractable?: boolean) {
    if (key !== CryptoKey || !parts) throw new TypeError("Illegal constructor");
    this.#parts = parts;
    this.#extractable = Boolean(extractable);
    this.#algorithm = JSON.parse(JSON.stringify(parts.algorithm));
    this.#usages = [...parts.usages];
  }

  static {
    partsOf = (key) => (key instanceof Object && #parts in key ? (key as CryptoKey).#parts : null);
  }

  get type(): string {
    return "secret";
  }

  get extractable(): boolean {
    return this.#extractable;
  }

  get algorithm(): Record<string, unknown> {
    return this.#algorithm;
  }

  get usages(): string[] {
    return this.#usages;
  }

  get [Symbol.toStringTag]() {
    return "CryptoKey";
  }
}

function keyFrom(value: unknown, extractable: unknown): CryptoKey {
  const parts = value as KeyParts;
  return new CryptoKey(
    CryptoKey,
    { raw: parts.raw, algorithm: parts.algorithm, usages: parts.usages },
    Boolean(extractable),
  );
}

/** The key's parts, once it is known to be a CryptoKey of `algorithm` allowed for `usage`. */
function usableKey(key: unknown, algorithm: Record<string, unknown>, usage: string): KeyParts {
  const parts = partsOf(key);
  if (!parts) throw new TypeError("the key is not a CryptoKey");
  if (parts.algorithm.name !== algorithm.name) {
    throw new DOMException(
      `the key is for ${String(parts.algorithm.name)}, not ${String(algorithm.name)}`,
      "InvalidAccessError",
    );
  }
  if (!parts.usages.includes(usage))
    throw new DOMException(`the key's usages do not include "${usage}"`, "InvalidAccessError");
  return parts;
}

const keyForHost = (parts: KeyParts) => ({ raw: parts.raw, algorithm: parts.algorithm });

class SubtleCrypto {
  constructor(key?: unknown) {
    if (key !== SubtleCrypto) throw new TypeError("Illegal constructor");
  }

  async digest(algorithm: unknown, data: unknown): Promise<ArrayBuffer> {
    const alg = normalise(algorithm, DIGESTS, "digest");
    return bufferOf((await call({ op: "digest", algorithm: alg, data: bytesOf(data, "data") })) as Uint8Array);
  }

  async importKey(
    format: unknown,
    keyData: unknown,
    algorithm: unknown,
    extractable: unknown,
    usages: unknown,
  ): Promise<CryptoKey> {
    const fmt = String(format);
    if (!FORMATS.includes(fmt)) throw notSupported(`importKey in format "${fmt}"`);
    const alg = normalise(algorithm, KEY_ALGORITHMS, "importKey");
    let data: unknown;
    if (fmt === "jwk") {
      if (
        keyData === null ||
        typeof keyData !== "object" ||
        ArrayBuffer.isView(keyData) ||
        keyData instanceof ArrayBuffer
      ) {
        throw new TypeError("a JWK must be an object");
      }
      data = JSON.parse(JSON.stringify(keyData));
    } else {
      data = bytesOf(keyData, "keyData");
    }
    const value = await call({ op: "importKey", format: fmt, keyData: data, algorithm: alg, usages: usagesOf(usages) });
    return keyFrom(value, extractable);
  }

  async exportKey(format: unknown, key: unknown): Promise<ArrayBuffer | Record<string, unknown>> {
    const fmt = String(format);
    if (!FORMATS.includes(fmt)) throw notSupported(`exportKey in format "${fmt}"`);
    const parts = partsOf(key);
    if (!parts) throw new TypeError("the key is not a CryptoKey");
    if (!(key as CryptoKey).extractable) throw new DOMException("the key is not extractable", "InvalidAccessError");
    if (fmt === "raw") return bufferOf(parts.raw);
    return (await call({ op: "exportKey", format: fmt, key: keyForHost(parts), usages: parts.usages })) as Record<
      string,
      unknown
    >;
  }

  async generateKey(algorithm: unknown, extractable: unknown, usages: unknown): Promise<CryptoKey> {
    const alg = normalise(algorithm, KEY_ALGORITHMS, "generateKey");
    return keyFrom(await call({ op: "generateKey", algorithm: alg, usages: usagesOf(usages) }), extractable);
  }

  async sign(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    const alg = normalise(algorithm, ["HMAC"], "sign");
    const parts = usableKey(key, alg, "sign");
    return bufferOf(
      (await call({ op: "sign", algorithm: alg, key: keyForHost(parts), data: bytesOf(data, "data") })) as Uint8Array,
    );
  }

  async verify(algorithm: unknown, key: unknown, signature: unknown, data: unknown): Promise<boolean> {
    const alg = normalise(algorithm, ["HMAC"], "verify");
    const parts = usableKey(key, alg, "verify");
    const c: HostCryptoCall = {
      op: "verify",
      algorithm: alg,
      key: keyForHost(parts),
      signature: bytesOf(signature, "signature"),
      data: bytesOf(data, "data"),
    };
    return (await call(c)) === true;
  }

  async encrypt(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    return this.#cipher("encrypt", algorithm, key, data);
  }

  async decrypt(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    return this.#cipher("decrypt", algorithm, key, data);
  }

  async #cipher(op: "encrypt" | "decrypt", algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    const alg = normalise(algorithm, ["AES-GCM", "AES-CBC", "AES-CTR"], op);
    const parts = usableKey(key, alg, op);
    return bufferOf(
      (await call({ op, algorithm: alg, key: keyForHost(parts), data: bytesOf(data, "data") })) as Uint8Array,
    );
  }

  async deriveBits(): Promise<never> {
    throw notSupported("deriveBits");
  }

  async deriveKey(): Promise<never> {
    throw notSupported("deriveKey");
  }

  async wrapKey(): Promise<never> {
    throw notSupported("wrapKey");
  }

  async unwrapKey(): Promise<never> {
    throw notSupported("unwrapKey");
  }

  get [Symbol.toStringTag]() {
    return "SubtleCrypto";
  }
}

/** Everything this module offers, as one object (see lazy.ts). */
export const Subtle = { SubtleCrypto, CryptoKey, subtle: new SubtleCrypto(SubtleCrypto) };
