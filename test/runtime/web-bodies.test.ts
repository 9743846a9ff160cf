// What bodies are made of, inside a real isolate: streams (Streams standard), Blob and File (File API), and
// FormData with its multipart/form-data encoding and parsing (XMLHttpRequest and HTML standards, RFC 7578).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Harness, startHarness } from "./sandbox-harness.ts";

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

const PRELUDE = `
const caught = (f) => { try { f(); return "no error"; } catch (e) { return e.name; } };
const rejection = async (p) => { try { await p; return "resolved"; } catch (e) { return e.name + ": " + e.message; } };
const text = (s) => new TextEncoder().encode(s);
`;
const run = (body: string) => h.evaluate(PRELUDE + body);

describe("ReadableStream, WritableStream and TransformStream", () => {
  it("read in a loop, iterate asynchronously, pipe through a transform and into a sink", async () => {
    assert.deepEqual(
      await run(`
        const source = () => new ReadableStream({ start(c) { ["a", "b", "c"].forEach((x) => c.enqueue(x)); c.close(); } });
        const loop = [];
        const reader = source().getReader();
        for (let r = await reader.read(); !r.done; r = await reader.read()) loop.push(r.value);
        const iterated = [];
        for await (const x of source()) iterated.push(x);
        const upper = new TransformStream({ transform(chunk, c) { c.enqueue(chunk.toUpperCase()); } });
        const sunk = [];
        await source().pipeThrough(upper).pipeTo(new WritableStream({ write(chunk) { sunk.push(chunk); } }));
        const [t1, t2] = source().tee();
        const teed = [(await t1.getReader().read()).value, (await t2.getReader().read()).value];
        return [loop, iterated, sunk, teed];`),
      [
        ["a", "b", "c"],
        ["a", "b", "c"],
        ["A", "B", "C"],
        ["a", "a"],
      ],
    );
  });
});

describe("Blob and File", () => {
  it("join parts as UTF-8 bytes, slice like the File API, and read as text, bytes and streams", async () => {
    assert.deepEqual(
      await run(`
        const inner = new Blob(["ij"]);
        const b = new Blob(["é", new Uint8Array([0x41, 0x42]), inner, new Uint16Array([0x4443]).buffer], { type: "Text/Plain" });
        const streamed = [];
        for await (const chunk of b.slice(0, 2).stream()) streamed.push(...chunk);
        return [b.size, b.type, await b.text(), await b.slice(2, 4).text(), await b.slice(-4).text(), b.slice(1, 2, "A/B").type,
          b.slice(10, 2).size, [...new Uint8Array(await b.slice(0, 2).arrayBuffer())], [...(await b.bytes()).slice(0, 2)], streamed,
          new Blob(["x"], { type: "caf\\u00e9" }).type, await new Blob(["a\\r\\nb\\rc"], { endings: "native" }).text(),
          caught(() => new Blob("abc")), Object.prototype.toString.call(b)];`),
      [
        8,
        "text/plain",
        "éABijCD",
        "AB",
        "ijCD",
        "a/b",
        0,
        [0xc3, 0xa9],
        [0xc3, 0xa9],
        [0xc3, 0xa9],
        "",
        "a\nb\nc",
        "TypeError",
        "[object Blob]",
      ],
    );
  });

  it("File adds a name and lastModified", async () => {
    assert.deepEqual(
      await run(`
        const f = new File(["data"], "notes.txt", { type: "text/plain", lastModified: 42 });
        const now = new File([], "x").lastModified;
        return [f instanceof Blob, f.name, f.lastModified, f.size, await f.text(), Math.abs(now - Date.now()) < 5000,
          Object.prototype.toString.call(f), caught(() => new File(["x"]))];`),
      [true, "notes.txt", 42, 4, "data", true, "[object File]", "TypeError"],
    );
  });
});

describe("FormData", () => {
  it("keeps ordered entries; set replaces the first and drops the rest; Blobs become Files", async () => {
    assert.deepEqual(
      await run(`
        const fd = new FormData();
        fd.append("a", "1");
        fd.append("b", "2");
        fd.append("a", "3");
        fd.set("a", "4");
        fd.append("blob", new Blob(["x"], { type: "text/plain" }));
        fd.append("named", new Blob(["y"]), "y.bin");
        fd.append("file", new File(["z"], "z.txt"), "renamed.txt");
        const blob = fd.get("blob");
        const entries = [...fd].map(([k, v]) => [k, typeof v === "string" ? v : v.name]);
        fd.delete("b");
        return [entries, fd.getAll("a"), fd.has("b"), blob instanceof File, blob.name, blob.type, fd.get("named").name,
          fd.get("file").name, fd.get("nope"), caught(() => fd.append("s", "string", "name.txt")),
          caught(() => new FormData({})), [...fd.keys()]];`),
      [
        [
          ["a", "4"],
          ["b", "2"],
          ["blob", "blob"],
          ["named", "y.bin"],
          ["file", "renamed.txt"],
        ],
        ["4"],
        false,
        true,
        "blob",
        "text/plain",
        "y.bin",
        "renamed.txt",
        null,
        "TypeError",
        "TypeError",
        ["a", "blob", "named", "file"],
      ],
    );
  });

  it("round-trips through a multipart/form-data body: text, binary files, quotes and newlines in names", async () => {
    assert.deepEqual(
      await run(`
        const fd = new FormData();
        fd.append("greeting", "héllo wörld");
        fd.append('we"ird\\nname', "line one\\nline two");
        fd.append("file", new File([new Uint8Array(Array.from({ length: 256 }, (_, i) => i))], 'a "b".bin', { type: "application/x-bin" }));
        fd.append("empty", "");
        const req = new Request("https://example.com/", { method: "POST", body: fd });
        const raw = await req.clone().text();
        const back = await req.formData();
        const file = back.get("file");
        const bytes = new Uint8Array(await file.arrayBuffer());
        return [[...back.keys()], back.get("greeting"), back.get('we"ird\\r\\nname'), file.name, file.type, bytes.length,
          bytes.every((b, i) => b === i), back.get("empty"),
          raw.includes('Content-Disposition: form-data; name="we%22ird%0D%0Aname"\\r\\n\\r\\nline one\\r\\nline two\\r\\n'),
          raw.includes('filename="a %22b%22.bin"\\r\\nContent-Type: application/x-bin\\r\\n\\r\\n'), raw.endsWith("--\\r\\n")];`),
      [
        ["greeting", 'we"ird\r\nname', "file", "empty"],
        "héllo wörld",
        "line one\r\nline two",
        'a "b".bin',
        "application/x-bin",
        256,
        true,
        "",
        true,
        true,
        true,
      ],
    );
  });

  it("parses the HTML 4.01 specification's multipart example, and refuses malformed bodies", async () => {
    assert.deepEqual(
      await run(`
        const body = [
          "--AaB03x",
          'Content-Disposition: form-data; name="submit-name"',
          "",
          "Larry",
          "--AaB03x",
          'Content-Disposition: form-data; name="files"; filename="file1.txt"',
          "Content-Type: text/plain",
          "",
          "... contents of file1.txt ...",
          "--AaB03x--",
          "",
        ].join("\\r\\n");
        const parse = (b, type = "multipart/form-data; boundary=AaB03x") =>
          new Request("https://example.com/", { method: "POST", body: b, headers: { "content-type": type } }).formData();
        const fd = await parse(body);
        const file = fd.get("files");
        return [fd.get("submit-name"), file.name, file.type, await file.text(),
          (await parse(body, 'multipart/form-data; boundary="AaB03x"')).get("submit-name"),
          await rejection(parse(body.replace("--AaB03x--", ""))),
          await rejection(parse("--AaB03x\\r\\nContent-Type: text/plain\\r\\n\\r\\nx\\r\\n--AaB03x--\\r\\n")),
          await rejection(parse(body, "multipart/form-data"))];`),
      [
        "Larry",
        "file1.txt",
        "text/plain",
        "... contents of file1.txt ...",
        "Larry",
        "TypeError: Failed to parse the body as multipart/form-data: a part does not end with the boundary",
        "TypeError: Failed to parse the body as multipart/form-data: a part has no name",
        "TypeError: The multipart/form-data content type has no boundary",
      ],
    );
  });
});
