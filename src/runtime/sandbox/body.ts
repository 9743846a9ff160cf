// The body half of Request and Response: held as text or bytes, read once, converted on demand.
import { TextDecoder, TextEncoder } from "./encoding.ts";

export type BodyInit = string | ArrayBuffer | ArrayBufferView | URLSearchParamsLike | null | undefined;
interface URLSearchParamsLike {
  toString(): string;
  [Symbol.toStringTag]: string;
}

/** What crosses the isolate boundary: text stays text, anything else is bytes. */
export type RawBody = string | Uint8Array | null;

export function toRawBody(body: BodyInit): { raw: RawBody; contentType: string | null } {
  if (body === null || body === undefined) return { raw: null, contentType: null };
  if (typeof body === "string") return { raw: body, contentType: "text/plain;charset=UTF-8" };
  if (body instanceof ArrayBuffer) return { raw: new Uint8Array(body.slice(0)), contentType: null };
  if (ArrayBuffer.isView(body)) {
    return {
      raw: new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)),
      contentType: null,
    };
  }
  if (Object.prototype.toString.call(body) === "[object URLSearchParams]") {
    return { raw: String(body), contentType: "application/x-www-form-urlencoded;charset=UTF-8" };
  }
  return { raw: String(body), contentType: "text/plain;charset=UTF-8" };
}

export class Body {
  #raw: RawBody;
  #used = false;

  constructor(raw: RawBody) {
    this.#raw = raw;
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  /** The body without consuming it, for the host and for clone(). */
  peekRaw(): RawBody {
    return this.#raw;
  }

  #take(): RawBody {
    if (this.#used) throw new TypeError("Body has already been consumed.");
    this.#used = true;
    return this.#raw;
  }

  async text(): Promise<string> {
    const raw = this.#take();
    if (raw === null) return "";
    return typeof raw === "string" ? raw : new TextDecoder().decode(raw);
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const raw = this.#take();
    if (raw === null) return new ArrayBuffer(0);
    const bytes = typeof raw === "string" ? new TextEncoder().encode(raw) : raw;
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }
}
