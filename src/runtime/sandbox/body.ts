// The body half of Request and Response (the Fetch standard's Body mixin). Bodies are buffered, not streamed: text
// or bytes, or a ReadableStream that is read to its end before anything crosses to the host.
import type { ReadableStream } from "web-streams-polyfill";
import { TextDecoder, TextEncoder } from "./encoding.ts";
import type { Headers } from "./headers.ts";
import { streams } from "./lazy.ts";
import { forms } from "./lazy-forms.ts";
import { URLSearchParams } from "./url.ts";

export type BodyInit = unknown;

/** What crosses the isolate boundary: text stays text, anything else is bytes. */
export type RawBody = string | Uint8Array | null;

/** A body as the standard's "extract a body" gives it: a source (text or bytes) or a stream, and a content type. */
export interface Extracted {
  source: RawBody;
  stream: ReadableStream<Uint8Array> | null;
  contentType: string | null;
}

const NO_BODY: Extracted = { source: null, stream: null, contentType: null };
const TEXT = "text/plain;charset=UTF-8";

const copyOf = (v: ArrayBufferView): Uint8Array =>
  new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));

/** The Fetch standard's "extract a body" for every BodyInit type. */
export function extractBody(init: unknown): Extracted {
  if (init === null || init === undefined) return NO_BODY;
  if (typeof init === "string") return { source: init, stream: null, contentType: TEXT };
  if (init instanceof ArrayBuffer) return { source: new Uint8Array(init.slice(0)), stream: null, contentType: null };
  if (ArrayBuffer.isView(init)) return { source: copyOf(init), stream: null, contentType: null };
  if (init instanceof URLSearchParams) {
    return { source: String(init), stream: null, contentType: "application/x-www-form-urlencoded;charset=UTF-8" };
  }
  // Blob, FormData and ReadableStream values can only exist once their module was loaded.
  const f = forms.loaded();
  if (f?.isBlob(init)) return { source: f.bytesOf(init), stream: null, contentType: init.type || null };
  if (f && init instanceof f.FormData) {
    const { bytes, contentType } = f.encodeMultipart(init);
    return { source: bytes, stream: null, contentType };
  }
  const s = streams.loaded();
  if (s?.isReadableStream(init)) {
    if (init.locked || s.isDisturbed(init)) throw new TypeError("The ReadableStream is locked or has been read from");
    return { source: null, stream: init as ReadableStream<Uint8Array>, contentType: null };
  }
  return { source: String(init), stream: null, contentType: TEXT };
}

const toBytes = (raw: string | Uint8Array): Uint8Array =>
  typeof raw === "string" ? new TextEncoder().encode(raw) : raw;

/** Reads a body once, for the host (a Response being returned, a fetch being sent); set in Body's static block. */
export let drainBody: (body: Body) => Promise<RawBody>;
/** Moves a body out of a Request into a new one (which leaves the old one used). */
export let takeBody: (body: Body) => Extracted;
/** A second copy of a body, for clone(): a stream is teed. */
export let cloneBody: (body: Body) => Extracted;

export abstract class Body {
  #source: RawBody;
  #stream: ReadableStream<Uint8Array> | null;
  /** Read without a stream (the fast path), or moved to another Request. */
  #used = false;

  constructor(body: Extracted) {
    this.#source = body.source;
    this.#stream = body.stream;
  }

  abstract get headers(): Headers;

  static {
    drainBody = async (b) => {
      if (b.bodyUsed) throw new TypeError("the body was already read");
      if (b.#stream) return streams.get().readAll(b.#stream);
      return b.#source;
    };
    takeBody = (b) => {
      if (b.bodyUsed || b.#stream?.locked) throw new TypeError("Cannot construct a Request with a used body");
      const taken = { source: b.#source, stream: b.#stream, contentType: null };
      if (b.#source !== null || b.#stream !== null) b.#used = true;
      return taken;
    };
    cloneBody = (b) => {
      if (b.bodyUsed || b.#stream?.locked) throw new TypeError("Cannot clone a body that was already read");
      if (!b.#stream) return { source: b.#source, stream: null, contentType: null };
      const [one, two] = b.#stream.tee();
      b.#stream = one;
      return { source: null, stream: two, contentType: null };
    };
  }

  /** The body as a ReadableStream (made on first access from text or bytes), or null when there is none. */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#stream) return this.#stream;
    if (this.#source === null) return null;
    const s = streams.get();
    this.#stream = s.streamOf(this.#used ? new Uint8Array(0) : toBytes(this.#source));
    // Read already through text() and the like: the stream is there, but used up.
    if (this.#used) void this.#stream.cancel();
    return this.#stream;
  }

  get bodyUsed(): boolean {
    return this.#used || (this.#stream !== null && streams.get().isDisturbed(this.#stream));
  }

  /** The standard's "consume body": every reader method reads the body once. */
  async #consume(): Promise<Uint8Array | string> {
    if (this.bodyUsed) throw new TypeError("Body has already been consumed.");
    if (this.#stream) {
      if (this.#stream.locked) throw new TypeError("The body's stream is locked to a reader");
      return streams.get().readAll(this.#stream);
    }
    // A null body reads as empty and, being null, is never "used".
    if (this.#source === null) return "";
    this.#used = true;
    return this.#source;
  }

  async text(): Promise<string> {
    const raw = await this.#consume();
    return typeof raw === "string" ? raw : new TextDecoder().decode(raw);
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = toBytes(await this.#consume());
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }

  async blob(): Promise<unknown> {
    const bytes = toBytes(await this.#consume());
    return new (forms.get().Blob)([bytes], { type: this.headers.get("content-type") ?? "" });
  }

  /** Parses multipart/form-data or application/x-www-form-urlencoded; anything else is a TypeError. */
  async formData(): Promise<unknown> {
    const type = this.headers.get("content-type") ?? "";
    const essence = type.split(";")[0]?.trim().toLowerCase();
    const f = forms.get();
    if (essence === "multipart/form-data") {
      const boundary = f.boundaryOf(type);
      if (boundary === null) throw new TypeError("The multipart/form-data content type has no boundary");
      return f.parseMultipart(toBytes(await this.#consume()), boundary);
    }
    if (essence === "application/x-www-form-urlencoded") {
      const form = new f.FormData();
      for (const [k, v] of new URLSearchParams(await this.text())) form.append(k, v);
      return form;
    }
    throw new TypeError(`Could not parse the body as FormData: the content type is "${type}"`);
  }
}
