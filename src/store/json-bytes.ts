// A chunk's body built as records come, as the UTF-8 bytes of a JSON array, outside the V8 heap.
//
// The recorder holds a batch for up to 200 ms before the store writes it; young-generation collections come every
// ~40 ms under load. Held as objects (each activation, its log lines, their strings), a batch outlived two of them
// and was promoted, to be collected by full collections: work for the gateway's thread and V8's helper threads that
// recording caused and did not need. Encoded as they are added (a few dozen at a time), records are garbage within
// milliseconds, and a buffer is one object to the collector whatever it holds. Measured with --trace-gc on the
// logging hello under load (two runs each): promoted per request 1.44 → 0.88 KB (0.7–0.9 with recording off),
// scavenge time per request 3.9 → 3.1 µs.

const OPEN = 0x5b; // [
const COMMA = 0x2c;
const CLOSE = 0x5d; // ]

/**
 * Elements are encoded this many at a time: one JSON.stringify and one copy for them all. Each call has a fixed cost
 * which, paid per element, doubled what packing a record cost; 64 records are a few milliseconds of traffic, gone
 * long before the next young-generation collection.
 */
const ENCODE_EVERY = 64;

export class JsonArrayBytes {
  #bytes: Buffer;
  /** Bytes used: `[`, the format number if any and the elements encoded so far, without the closing bracket. */
  #length = 1;
  #pending: unknown[] = [];
  /** How many elements it holds. */
  count = 0;

  /**
   * `format`: a number to write as the first element (a chunk body's format), not counted; `initial`: bytes to start
   * with; it doubles as it fills.
   */
  constructor(format?: number, initial = 2048) {
    // Its own memory, not a slice of Node's shared pool, which a body waiting for its write would keep alive; never
    // too small for `[` and the format.
    this.#bytes = Buffer.allocUnsafeSlow(Math.max(initial, 32));
    this.#bytes[0] = OPEN;
    if (format !== undefined) this.#length += this.#bytes.write(JSON.stringify(format), 1, "latin1");
  }

  /** Appends one element (any value JSON.stringify takes). */
  push(value: unknown): void {
    this.#pending.push(value);
    this.count++;
    if (this.#pending.length === ENCODE_EVERY) this.#encode();
  }

  /** The array's bytes, closed with `]`. Nothing may be pushed after. */
  finish(): Buffer {
    this.#encode();
    this.#bytes[this.#length++] = CLOSE;
    return this.#bytes.subarray(0, this.#length);
  }

  #encode(): void {
    if (this.#pending.length === 0) return;
    const json = JSON.stringify(this.#pending);
    this.#pending = [];
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    const room = this.#length + json.length * 3;
    if (room > this.#bytes.length) this.#grow(room);
    // `[a,b]` is written over the bytes' own `[` (when they hold nothing yet) or after the last element (or the
    // format), its `[` then made a comma; its `]` is dropped (finish() writes the last one).
    const at = this.#length === 1 ? 0 : this.#length;
    const written = this.#bytes.write(json, at);
    if (at > 0) this.#bytes[at] = COMMA;
    this.#length = at + written - 1;
  }

  #grow(room: number): void {
    let size = this.#bytes.length * 2;
    while (size < room) size *= 2;
    const bytes = Buffer.allocUnsafeSlow(size);
    this.#bytes.copy(bytes, 0, 0, this.#length);
    this.#bytes = bytes;
  }
}

/** The same chunks with each body as text (for a store that binds text, and for reading a batch back). */
export function textBodies<C extends { body: Buffer }>(chunks: C[]): (Omit<C, "body"> & { body: string })[] {
  return chunks.map((c) => ({ ...c, body: c.body.toString("utf8") }));
}
