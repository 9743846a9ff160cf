// TextEncoder and TextDecoder (UTF-8, as the Encoding Standard specifies it: invalid input becomes U+FFFD per
// maximal subpart, or a TypeError when `fatal`), small enough to live in every isolate.

type BufferSource = ArrayBuffer | ArrayBufferView;

/** Bytes of a BufferSource, honouring a view's offset and length. */
function bytesOf(input: BufferSource): Uint8Array {
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError("The provided value is not of type '(ArrayBuffer or ArrayBufferView)'");
}

/**
 * The Encoding Standard's UTF-8 decoder over `bytes`. Returns the text and how many trailing bytes were left
 * unconsumed because they may start a character that continues in the next chunk (only when `stream`).
 */
export function decodeUtf8(bytes: ArrayLike<number>, fatal: boolean, stream: boolean): [string, number] {
  let out = "";
  let i = 0;
  const len = bytes.length;
  while (i < len) {
    const start = i;
    const b = bytes[i++] as number;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      continue;
    }
    // How many continuation bytes follow, and the range the first of them must be in.
    const n = b < 0xc2 ? -1 : b < 0xe0 ? 1 : b < 0xf0 ? 2 : b < 0xf5 ? 3 : -1;
    let lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    let hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    let cp = n > 0 ? b & (0x3f >> n) : b;
    let k = 0;
    for (; k < n && i < len && (bytes[i] as number) >= lo && (bytes[i] as number) <= hi; k++, lo = 0x80, hi = 0xbf) {
      cp = (cp << 6) | ((bytes[i++] as number) & 0x3f);
    }
    if (k === n) {
      out += String.fromCodePoint(cp);
    } else if (stream && i === len && n > 0) {
      return [out, len - start];
    } else {
      if (fatal) throw new TypeError("The encoded data was not valid for encoding utf-8");
      out += "\uFFFD";
    }
  }
  return [out, 0];
}

export class TextDecoder {
  readonly encoding = "utf-8";
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  #pending: number[] = [];
  #bomSeen = false;

  constructor(label = "utf-8", options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    const l = String(label).trim().toLowerCase();
    if (l !== "utf-8" && l !== "utf8" && l !== "unicode-1-1-utf-8") {
      throw new RangeError(`The "${label}" encoding is not supported; only utf-8 is`);
    }
    this.fatal = Boolean(options.fatal);
    this.ignoreBOM = Boolean(options.ignoreBOM);
  }

  decode(input?: BufferSource, options: { stream?: boolean } = {}): string {
    const stream = Boolean(options.stream);
    const fresh = input === undefined ? new Uint8Array(0) : bytesOf(input);
    const bytes = this.#pending.length > 0 ? [...this.#pending, ...fresh] : fresh;
    let [text, left] = decodeUtf8(bytes, this.fatal, stream);
    this.#pending = left > 0 ? Array.from(bytes).slice(bytes.length - left) : [];
    if (!this.ignoreBOM && !this.#bomSeen && text.length > 0) {
      this.#bomSeen = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (!stream) {
      this.#pending = [];
      this.#bomSeen = false;
    }
    return text;
  }

  get [Symbol.toStringTag]() {
    return "TextDecoder";
  }
}

export class TextEncoder {
  readonly encoding = "utf-8";

  encode(input = ""): Uint8Array {
    const s = String(input);
    const out: number[] = [];
    for (let i = 0; i < s.length; i++) {
      let cp = s.charCodeAt(i);
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
        const next = s.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
          i++;
        }
      }
      // A lone surrogate is not a scalar value: it encodes as U+FFFD, as the standard's USVString conversion does.
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
      if (cp < 0x80) out.push(cp);
      else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
      else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
      else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    }
    return new Uint8Array(out);
  }

  encodeInto(input: string, dest: Uint8Array): { read: number; written: number } {
    let read = 0;
    let written = 0;
    for (const ch of String(input)) {
      const bytes = this.encode(ch);
      if (written + bytes.length > dest.length) break;
      dest.set(bytes, written);
      written += bytes.length;
      read += ch.length;
    }
    return { read, written };
  }

  get [Symbol.toStringTag]() {
    return "TextEncoder";
  }
}
