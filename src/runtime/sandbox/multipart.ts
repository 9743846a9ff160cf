// multipart/form-data, both ways: the HTML standard's encoding of a FormData for a body, and the parser of the
// multipart/form-data draft standard (as undici and browsers implement it) for request.formData().
import { Blob, bytesOf, File, isBlob } from "./blob.ts";
import { fillRandom } from "./crypto.ts";
import { TextDecoder, TextEncoder } from "./encoding.ts";
import { FormData } from "./form-data.ts";

const encoder = new TextEncoder();

/** Names and filenames in a Content-Disposition: newlines and quotes percent-encoded, as HTML specifies. */
const escapeName = (s: string): string => s.replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/"/g, "%22");
/** Entry names and string values get CRLF line breaks. */
const crlf = (s: string): string => s.replace(/\r\n|\r(?!\n)|\n/g, "\r\n");

/** A boundary that cannot occur by chance in the content: 16 random alphanumerics after a fixed prefix. */
function newBoundary(): string {
  const chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const random = new Uint8Array(16);
  fillRandom(random);
  let s = "----PaveFormBoundary";
  for (const b of random) s += chars[b % chars.length];
  return s;
}

/** The body bytes and content type of a FormData sent as a body. */
function encodeMultipart(form: FormData): { bytes: Uint8Array; contentType: string } {
  const boundary = newBoundary();
  const chunks: Uint8Array[] = [];
  for (const [name, value] of form) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(crlf(name))}"`;
    if (typeof value === "string") {
      chunks.push(encoder.encode(`${head}\r\n\r\n${crlf(value)}\r\n`));
      continue;
    }
    head += `; filename="${escapeName(value.name)}"\r\nContent-Type: ${value.type || "application/octet-stream"}\r\n\r\n`;
    chunks.push(encoder.encode(head), bytesOf(value), encoder.encode("\r\n"));
  }
  chunks.push(encoder.encode(`--${boundary}--\r\n`));
  let size = 0;
  for (const c of chunks) size += c.byteLength;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { bytes, contentType: `multipart/form-data; boundary=${boundary}` };
}

const fail = (why: string) => new TypeError(`Failed to parse the body as multipart/form-data: ${why}`);

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  outer: for (let i = haystack.indexOf(first as number, from); i !== -1; i = haystack.indexOf(first as number, i + 1)) {
    if (i + needle.length > haystack.length) return -1;
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const latin1 = (bytes: Uint8Array): string => {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
};

interface PartHeaders {
  name: string;
  filename: string | null;
  contentType: string | null;
}

/** A quoted or token parameter value in a Content-Disposition, with %0A, %0D and %22 decoded. */
function dispositionParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /;\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"([^"\r\n]*)"|([^;\s]*))/g;
  for (let m = re.exec(value); m !== null; m = re.exec(value)) {
    const raw = m[2] ?? m[3] ?? "";
    const decoded = new TextDecoder().decode(Uint8Array.from(raw, (c) => c.charCodeAt(0)));
    params.set(
      (m[1] as string).toLowerCase(),
      decoded.replace(/%0A/gi, "\n").replace(/%0D/gi, "\r").replace(/%22/g, '"'),
    );
  }
  return params;
}

function parseHeaders(block: string): PartHeaders {
  let name: string | null = null;
  let filename: string | null = null;
  let contentType: string | null = null;
  for (const line of block.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw fail("a part header has no name");
    const header = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (header === "content-disposition") {
      if (!/^form-data\s*(;|$)/i.test(value)) throw fail("a part is not form-data");
      const params = dispositionParams(value.slice(value.indexOf(";") === -1 ? value.length : value.indexOf(";")));
      name = params.get("name") ?? null;
      filename = params.get("filename") ?? null;
    } else if (header === "content-type") {
      contentType = value;
    }
  }
  if (name === null) throw fail("a part has no name");
  return { name, filename, contentType };
}

/** Parses a multipart/form-data body delimited by `boundary` into a FormData. Throws a TypeError if malformed. */
function parseMultipart(body: Uint8Array, boundary: string): FormData {
  const form = new FormData();
  const delimiter = encoder.encode(`--${boundary}`);
  const next = encoder.encode(`\r\n--${boundary}`);
  let at = indexOf(body, delimiter, 0);
  if (at === -1) throw fail("no boundary found");
  at += delimiter.length;
  for (;;) {
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return form;
    if (body[at] !== 0x0d || body[at + 1] !== 0x0a) throw fail("expected CRLF after the boundary");
    at += 2;
    const headersEnd = indexOf(body, encoder.encode("\r\n\r\n"), at);
    if (headersEnd === -1) throw fail("a part's headers do not end");
    const headers = parseHeaders(latin1(body.subarray(at, headersEnd)));
    const start = headersEnd + 4;
    const end = indexOf(body, next, start);
    if (end === -1) throw fail("a part does not end with the boundary");
    const content = body.subarray(start, end);
    if (headers.filename !== null) {
      const type =
        headers.contentType !== null && /^[\x20-\x7e]*$/.test(headers.contentType) ? headers.contentType : "";
      form.append(
        headers.name,
        new File([content], headers.filename, { type: headers.contentType === null ? "text/plain" : type }),
      );
    } else {
      form.append(headers.name, new TextDecoder("utf-8", { ignoreBOM: true }).decode(content));
    }
    at = end + next.length;
  }
}

/** The boundary parameter of a multipart/form-data content type, or null. */
function boundaryOf(contentType: string): string | null {
  const m = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

/** Blob, File, FormData and the multipart code, as one object (see lazy-forms.ts). */
export const Forms = { Blob, File, FormData, isBlob, bytesOf, encodeMultipart, parseMultipart, boundaryOf };
