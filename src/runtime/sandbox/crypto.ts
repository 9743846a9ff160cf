// `crypto`: getRandomValues and randomUUID from host entropy fetched in 4 KiB chunks (one blocking host call
// per chunk, not per call), and `subtle`, built on first access (subtle.ts).
import { host } from "./bridges.ts";
import { domException, subtle } from "./lazy.ts";

const CHUNK = 4096;
/** The Web Crypto limit for one getRandomValues call. */
const MAX_BYTES = 65536;
let pool: Uint8Array = new Uint8Array(0);
let used = 0;

function fromHost(n: number): Uint8Array {
  const bytes = host.randomBytes(n);
  if (!(bytes instanceof Uint8Array) || bytes.length !== n) throw new Error("the host returned no random bytes");
  return bytes;
}

/** Fills `target` with random bytes; each pooled byte is handed out once and then wiped. */
export function fillRandom(target: Uint8Array): void {
  if (target.length > CHUNK) {
    target.set(fromHost(target.length));
    return;
  }
  for (let at = 0; at < target.length; ) {
    if (used === pool.length) {
      pool = fromHost(CHUNK);
      used = 0;
    }
    const take = Math.min(target.length - at, pool.length - used);
    target.set(pool.subarray(used, used + take), at);
    pool.fill(0, used, used + take);
    used += take;
    at += take;
  }
}

const INTEGER_ARRAYS = new Set([
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "BigInt64Array",
  "BigUint64Array",
]);

export function getRandomValues<T extends ArrayBufferView>(array: T): T {
  if (!ArrayBuffer.isView(array)) {
    throw new TypeError("getRandomValues: the argument is not an ArrayBufferView");
  }
  const kind = Object.prototype.toString.call(array).slice(8, -1);
  if (!INTEGER_ARRAYS.has(kind)) {
    throw domException(`getRandomValues: ${kind} is not an integer array`, "TypeMismatchError");
  }
  if (array.byteLength > MAX_BYTES) {
    throw domException(
      `getRandomValues: ${array.byteLength} bytes requested; the limit is ${MAX_BYTES}`,
      "QuotaExceededError",
    );
  }
  fillRandom(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  return array;
}

/** Two hex digits for each byte value, built on first use (boot time is every cold start). */
let hex: string[] | undefined;

/** A version 4 UUID (RFC 9562): 122 random bits, version and variant bits set. */
export function randomUUID(): string {
  hex ??= Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
  const b = new Uint8Array(16);
  fillRandom(b);
  b[6] = ((b[6] as number) & 0x0f) | 0x40;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  let s = "";
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += "-";
    s += hex[b[i] as number];
  }
  return s;
}

export class Crypto {
  constructor(key?: unknown) {
    if (key !== Crypto) throw new TypeError("Illegal constructor");
  }

  get subtle(): unknown {
    return subtle.get().subtle;
  }

  getRandomValues<T extends ArrayBufferView>(array: T): T {
    return getRandomValues(array);
  }

  randomUUID(): string {
    return randomUUID();
  }

  get [Symbol.toStringTag]() {
    return "Crypto";
  }
}

export const crypto = new Crypto(Crypto);
