// TextEncoder/TextDecoder inside the isolate against the Encoding Standard: each case runs in the sandbox and is
// compared with Node's own (ICU-backed) implementation on the same bytes, plus the standard's literal examples.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bundleEntry } from "../../src/deploy/bundle.ts";
import { Runtime } from "../../src/runtime/index.ts";

/** Byte sequences from the standard's UTF-8 decoder discussion: truncations, overlongs, surrogates, out of range. */
const CASES: number[][] = [
  [0x61, 0x62, 0x63],
  [0xe2, 0x82, 0xac],
  [0xf0, 0x9f, 0x92, 0xa9],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf0, 0x9f, 0x92],
  [0xe2, 0x82, 0x41],
  [0x80, 0xbf, 0x61],
  [0xfe, 0xff, 0x61],
  [0xef, 0xbb, 0xbf, 0x68, 0x69],
  [0xf1, 0x80, 0x80, 0xe1, 0x80, 0xc2],
];

const SOURCE = `
export const handler = async (cases) => {
  const decoded = cases.map((bytes) => new TextDecoder().decode(new Uint8Array(bytes)));
  const fatal = cases.map((bytes) => { try { new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes)); return "ok"; } catch (e) { return e.constructor.name; } });
  const keepBom = new TextDecoder("utf-8", { ignoreBOM: true }).decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])).length;
  // A view's offset and length must be honoured.
  const buf = new Uint8Array([0x78, 0x68, 0x69, 0x78]);
  const view = new TextDecoder().decode(new DataView(buf.buffer, 1, 2));
  // A multi-byte character split across streamed chunks.
  const d = new TextDecoder();
  const streamed = d.decode(new Uint8Array([0xe2, 0x82]), { stream: true }) + d.decode(new Uint8Array([0xac, 0x21]));
  const encoded = ["€", "💩", "a\\uD800b", "é"].map((s) => Array.from(new TextEncoder().encode(s)));
  const into = new Uint8Array(4);
  const res = new TextEncoder().encodeInto("a€b", into);
  let badLabel = "";
  try { new TextDecoder("latin1"); } catch (e) { badLabel = e.constructor.name; }
  return { decoded, fatal, keepBom, view, streamed, encoded, into: [res.read, res.written, ...into], badLabel };
};`;

describe("TextEncoder and TextDecoder in the sandbox", () => {
  let rt: Runtime;
  let dir: string;
  let out: Record<string, unknown>;

  before(async () => {
    rt = await Runtime.start();
    dir = mkdtempSync(join(tmpdir(), "pave-encoding-"));
    writeFileSync(join(dir, "index.ts"), SOURCE);
    const v = {
      env: "t",
      function: "enc",
      id: "v1",
      memoryMb: 64,
      timeoutMs: 5000,
      concurrency: 1,
      bundle: await bundleEntry(dir, "index.ts"),
    };
    const call = await rt.invoke(
      v,
      { kind: "direct", payload: CASES },
      { id: "a", functionName: "enc", functionVersion: "v1", memoryMb: 64, deadline: Date.now() + 5000 },
    );
    const result = await call.result;
    assert.equal(result.kind, "value", JSON.stringify(result));
    out = (result as { value: Record<string, unknown> }).value;
  });

  after(() => {
    rt?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("decodes like the standard (Node's decoder as the oracle), one U+FFFD per maximal invalid subpart", () => {
    assert.deepEqual(
      out.decoded,
      CASES.map((b) => new TextDecoder().decode(new Uint8Array(b))),
    );
    assert.equal((out.decoded as string[])[3], "\uFFFD\uFFFD");
    assert.equal((out.decoded as string[])[7], "\uFFFD");
  });

  it("throws a TypeError in fatal mode exactly where the standard would", () => {
    const expected = CASES.map((b) => {
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(b));
        return "ok";
      } catch {
        return "TypeError";
      }
    });
    assert.deepEqual(out.fatal, expected);
  });

  it("strips a leading BOM unless ignoreBOM, honours views, and joins streamed chunks", () => {
    assert.equal((out.decoded as string[])[11], "hi");
    assert.equal(out.keepBom, 2);
    assert.equal(out.view, "hi");
    assert.equal(out.streamed, "€!");
  });

  it("encodes scalar values, lone surrogates as U+FFFD, and encodeInto stops at a whole character", () => {
    assert.deepEqual(out.encoded, [
      [0xe2, 0x82, 0xac],
      [0xf0, 0x9f, 0x92, 0xa9],
      [0x61, 0xef, 0xbf, 0xbd, 0x62],
      [0xc3, 0xa9],
    ]);
    assert.deepEqual(out.into, [2, 4, 0x61, 0xe2, 0x82, 0xac]);
    assert.equal(out.badLabel, "RangeError");
  });
});
