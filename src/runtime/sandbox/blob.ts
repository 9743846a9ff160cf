// Blob and File (File API): immutable bytes with a MIME type, sliced and read without copying more than asked.
// Loaded on first use.
import { TextDecoder, TextEncoder } from "./encoding.ts";
import { streams } from "./lazy.ts";

export type BlobPart = ArrayBuffer | ArrayBufferView | Blob | string;

export interface BlobPropertyBag {
  type?: string;
  endings?: "transparent" | "native";
}

/** The File API's type rule: lowercase, or "" if it has characters outside printable ASCII. */
function normaliseType(type: unknown): string {
  const t = type === undefined ? "" : String(type);
  return /^[\x20-\x7e]*$/.test(t) ? t.toLowerCase() : "";
}

/** A `long long` argument of slice(): relative to the end when negative, clamped to [0, size]. */
function relative(value: unknown, size: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Math.trunc(Number(value)) || 0;
  return n < 0 ? Math.max(size + n, 0) : Math.min(n, size);
}

/** Bytes of a Blob without copying; set by Blob's static block. */
export let bytesOf: (blob: Blob) => Uint8Array;
export let isBlob: (value: unknown) => value is Blob;

export class Blob {
  #bytes: Uint8Array;
  #type: string;

  constructor(parts?: Iterable<BlobPart>, options: BlobPropertyBag = {}) {
    if (parts !== undefined && (parts === null || typeof parts !== "object" || !(Symbol.iterator in parts))) {
      throw new TypeError("Blob: the parts must be a sequence");
    }
    const endings = options?.endings ?? "transparent";
    if (endings !== "transparent" && endings !== "native") {
      throw new TypeError(`Blob: "${String(endings)}" is not a valid value for endings`);
    }
    this.#type = normaliseType(options?.type);
    const chunks: Uint8Array[] = [];
    for (const part of parts ?? []) {
      if (isBlob(part)) chunks.push(part.#bytes);
      else if (part instanceof ArrayBuffer) chunks.push(new Uint8Array(part.slice(0)));
      else if (ArrayBuffer.isView(part)) {
        chunks.push(new Uint8Array(part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength)));
      } else {
        // "native" line endings are "\n" here, as on any POSIX system.
        const text = endings === "native" ? String(part).replace(/\r\n?/g, "\n") : String(part);
        chunks.push(new TextEncoder().encode(text));
      }
    }
    this.#bytes = chunks.length === 1 ? (chunks[0] as Uint8Array) : concat(chunks);
  }

  static {
    bytesOf = (blob) => blob.#bytes;
    isBlob = (value): value is Blob => typeof value === "object" && value !== null && #bytes in value;
  }

  get size(): number {
    return this.#bytes.byteLength;
  }

  get type(): string {
    return this.#type;
  }

  slice(start?: number, end?: number, contentType?: string): Blob {
    const size = this.#bytes.byteLength;
    const from = relative(start, size, 0);
    const to = relative(end, size, size);
    const blob = new Blob([], { type: contentType });
    blob.#bytes = this.#bytes.subarray(from, Math.max(from, to));
    return blob;
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(this.#bytes);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.#bytes;
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }

  stream(): unknown {
    return streams.get().streamOf(this.#bytes);
  }

  get [Symbol.toStringTag]() {
    return "Blob";
  }
}

export interface FilePropertyBag extends BlobPropertyBag {
  lastModified?: number;
}

export class File extends Blob {
  #name: string;
  #lastModified: number;

  constructor(bits: Iterable<BlobPart>, name: string, options: FilePropertyBag = {}) {
    // biome-ignore lint/complexity/noArguments: WebIDL tells a missing argument (TypeError) from an undefined one.
    if (arguments.length < 2) throw new TypeError("File: 2 arguments required");
    super(bits, options);
    this.#name = String(name);
    this.#lastModified =
      options?.lastModified === undefined ? Date.now() : Math.trunc(Number(options.lastModified)) || 0;
  }

  get name(): string {
    return this.#name;
  }

  get lastModified(): number {
    return this.#lastModified;
  }

  get webkitRelativePath(): string {
    return "";
  }

  get [Symbol.toStringTag]() {
    return "File";
  }
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const c of chunks) size += c.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
