// The WHATWG Streams (web-streams-polyfill's ponyfill, a port of the reference implementation), loaded on first
// use, and what bodies need from them: a stream over bytes, reading one to its end, whether one was read.
/** Resolved by esbuild at build time (sandbox-script.ts); nothing named `require` exists in the isolate. */
declare function require(id: string): unknown;

// The CommonJS build, so esbuild keeps the polyfill inside one lazily called closure; its ESM build's hundreds of
// top-level functions would be hoisted into the sandbox's top level and created in every isolate at boot.
const ponyfill = require("web-streams-polyfill") as typeof import("web-streams-polyfill");

/** The Streams standard's globals, every one the polyfill offers. */
const GLOBALS = {
  ByteLengthQueuingStrategy: ponyfill.ByteLengthQueuingStrategy,
  CountQueuingStrategy: ponyfill.CountQueuingStrategy,
  ReadableByteStreamController: ponyfill.ReadableByteStreamController,
  ReadableStream: ponyfill.ReadableStream,
  ReadableStreamBYOBReader: ponyfill.ReadableStreamBYOBReader,
  ReadableStreamBYOBRequest: ponyfill.ReadableStreamBYOBRequest,
  ReadableStreamDefaultController: ponyfill.ReadableStreamDefaultController,
  ReadableStreamDefaultReader: ponyfill.ReadableStreamDefaultReader,
  TransformStream: ponyfill.TransformStream,
  TransformStreamDefaultController: ponyfill.TransformStreamDefaultController,
  WritableStream: ponyfill.WritableStream,
  WritableStreamDefaultController: ponyfill.WritableStreamDefaultController,
  WritableStreamDefaultWriter: ponyfill.WritableStreamDefaultWriter,
};
const { ReadableStream } = GLOBALS;
type ReadableStream<R> = import("web-streams-polyfill").ReadableStream<R>;

export type { ReadableStream };

/** A byte stream (BYOB readers work, as on a fetch body) that yields `bytes` as one chunk when first read. */
function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      // A copy: enqueueing transfers (detaches) the chunk's buffer, and `bytes` may be shared with a clone.
      if (bytes.byteLength > 0) controller.enqueue(bytes.slice());
      controller.close();
    },
  });
}

/** Reads a body stream to its end; chunks must be Uint8Array, as the Fetch standard requires. */
async function readAll(stream: ReadableStream<unknown>): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!(value instanceof Uint8Array)) {
      const error = new TypeError("a body stream must yield Uint8Array chunks");
      void reader.cancel(error);
      throw error;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** Whether the stream was ever read from or cancelled (the polyfill keeps the standard's [[disturbed]] flag). */
function isDisturbed(stream: ReadableStream<unknown>): boolean {
  return (stream as unknown as { _disturbed?: boolean })._disturbed === true;
}

function isReadableStream(value: unknown): value is ReadableStream<unknown> {
  return value instanceof ReadableStream;
}

/** Everything this module offers, as one object (see lazy.ts). */
export const Streams = {
  ...GLOBALS,
  streamOf,
  readAll,
  isDisturbed,
  isReadableStream,
};
