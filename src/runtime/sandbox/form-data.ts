// FormData (XMLHttpRequest standard): an ordered list of name → string or File entries, loaded on first use.
// Its multipart/form-data encoding and parsing are in multipart.ts.
import { type Blob, File, isBlob } from "./blob.ts";

export type FormDataEntryValue = string | File;

/** WebIDL USVString: lone surrogates become U+FFFD. */
const usv = (v: unknown): string =>
  String(v).replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");

/** The standard's "create an entry": a Blob becomes a File ("blob" unless a filename is given). */
function entry(name: unknown, value: unknown, rest: unknown[]): [string, FormDataEntryValue] {
  const filename = rest[0];
  if (!isBlob(value)) {
    if (rest.length > 0) throw new TypeError("FormData: a filename is only allowed with a Blob value");
    return [usv(name), usv(value)];
  }
  const file = value as Blob;
  if (file instanceof File && filename === undefined) return [usv(name), file];
  const fileName = filename !== undefined ? usv(filename) : file instanceof File ? file.name : "blob";
  const lastModified = file instanceof File ? file.lastModified : undefined;
  return [
    usv(name),
    new File([file], fileName, { type: file.type, ...(lastModified !== undefined && { lastModified }) }),
  ];
}

export class FormData {
  #entries: [string, FormDataEntryValue][] = [];

  constructor(form?: unknown) {
    if (form !== undefined) throw new TypeError("FormData: there is no HTML form element here to read from");
  }

  /** `filename` is a rest parameter because WebIDL picks the overload by how many arguments were passed. */
  append(name: string, value: string | Blob, ...filename: [string?]): void {
    this.#entries.push(entry(name, value, filename));
  }

  set(name: string, value: string | Blob, ...filename: [string?]): void {
    const e = entry(name, value, filename);
    const at = this.#entries.findIndex(([n]) => n === e[0]);
    if (at === -1) {
      this.#entries.push(e);
      return;
    }
    this.#entries[at] = e;
    this.#entries = this.#entries.filter(([n], i) => i <= at || n !== e[0]);
  }

  delete(name: string): void {
    const n = usv(name);
    this.#entries = this.#entries.filter(([k]) => k !== n);
  }

  get(name: string): FormDataEntryValue | null {
    const n = usv(name);
    return this.#entries.find(([k]) => k === n)?.[1] ?? null;
  }

  getAll(name: string): FormDataEntryValue[] {
    const n = usv(name);
    return this.#entries.filter(([k]) => k === n).map(([, v]) => v);
  }

  has(name: string): boolean {
    const n = usv(name);
    return this.#entries.some(([k]) => k === n);
  }

  forEach(cb: (value: FormDataEntryValue, name: string, form: FormData) => void, thisArg?: unknown): void {
    for (const [k, v] of this) cb.call(thisArg, v, k, this);
  }

  /** Live, as the standard's iterators are: entries added while iterating are visited. */
  *entries(): IterableIterator<[string, FormDataEntryValue]> {
    for (let i = 0; i < this.#entries.length; i++) {
      const [k, v] = this.#entries[i] as [string, FormDataEntryValue];
      yield [k, v];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<FormDataEntryValue> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[string, FormDataEntryValue]> {
    return this.entries();
  }

  get [Symbol.toStringTag]() {
    return "FormData";
  }
}
