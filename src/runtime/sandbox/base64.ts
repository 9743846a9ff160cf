// atob and btoa (HTML), over the Infra standard's forgiving-base64: whitespace is ignored, padding is optional,
// and anything else that is not base64 is an InvalidCharacterError.
import { domException } from "./lazy.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** Each base64 character's value, built on first decode (boot time is every cold start). */
let values: Map<string, number> | undefined;

/** Base64 of bytes (each a number 0–255), with padding. */
export function encodeBase64(bytes: ArrayLike<number>): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] as number;
    const b = i + 1 < bytes.length ? (bytes[i + 1] as number) : -1;
    const c = i + 2 < bytes.length ? (bytes[i + 2] as number) : -1;
    out += ALPHABET[a >> 2];
    out += ALPHABET[((a & 3) << 4) | (b < 0 ? 0 : b >> 4)];
    out += b < 0 ? "=" : ALPHABET[((b & 15) << 2) | (c < 0 ? 0 : c >> 6)];
    out += c < 0 ? "=" : ALPHABET[c & 63];
  }
  return out;
}

/** Infra's forgiving-base64 decode: the bytes, or null for failure. */
export function decodeBase64(input: string): number[] | null {
  let data = input.replace(/[\t\n\f\r ]/g, "");
  if (data.length % 4 === 0) data = data.replace(/==?$/, "");
  if (data.length % 4 === 1) return null;
  const out: number[] = [];
  values ??= new Map([...ALPHABET].map((c, i) => [c, i]));
  let buffer = 0;
  let bits = 0;
  for (const ch of data) {
    const value = values.get(ch);
    if (value === undefined) return null;
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
  }
  // Leftover bits (12 or 18 of them at the end) are discarded, as the standard says.
  return out;
}

export function atob(data: unknown): string {
  // biome-ignore lint/complexity/noArguments: WebIDL tells a missing argument (TypeError) from an undefined one.
  if (arguments.length === 0) throw new TypeError("atob requires 1 argument");
  const bytes = decodeBase64(String(data));
  if (bytes === null) throw domException("The string to be decoded is not correctly encoded.", "InvalidCharacterError");
  let out = "";
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

export function btoa(data: unknown): string {
  // biome-ignore lint/complexity/noArguments: WebIDL tells a missing argument (TypeError) from an undefined one.
  if (arguments.length === 0) throw new TypeError("btoa requires 1 argument");
  const s = String(data);
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code > 0xff) {
      throw domException(
        "The string to be encoded contains characters outside of the Latin1 range.",
        "InvalidCharacterError",
      );
    }
    bytes.push(code);
  }
  return encodeBase64(bytes);
}
