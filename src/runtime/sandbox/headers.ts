// The Fetch standard's Headers: case-insensitive names, values combined with ", ", iteration sorted by name,
// Set-Cookie kept apart (getSetCookie) because it cannot be combined, and immutable ones (fetch responses).

export type HeadersInit = Headers | Iterable<Iterable<string>> | Record<string, string>;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function normaliseName(name: string): string {
  const n = String(name);
  if (!TOKEN.test(n)) throw new TypeError(`Invalid header name: "${n}"`);
  return n.toLowerCase();
}

function normaliseValue(value: string): string {
  const v = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
  // A ByteString (no code points above U+00FF) without NUL, CR or LF.
  if (/[\0\r\n]|[^\0-\xff]/.test(v)) throw new TypeError(`Invalid header value: "${v}"`);
  return v;
}

/** Makes headers immutable (a fetch response's, a redirect's); set in Headers' static block. */
export let freezeHeaders: (headers: Headers) => void;

export class Headers {
  #map = new Map<string, string>();
  #cookies: string[] = [];
  #immutable = false;

  static {
    freezeHeaders = (h) => {
      h.#immutable = true;
    };
  }

  #check(): void {
    if (this.#immutable) throw new TypeError("Headers are immutable");
  }

  constructor(init?: HeadersInit) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      for (const [k, v] of init.#map) this.#map.set(k, v);
      this.#cookies = [...init.#cookies];
    } else if (Array.isArray(init) || Symbol.iterator in Object(init)) {
      for (const item of init as Iterable<Iterable<string>>) {
        if (item === null || typeof item !== "object" || !(Symbol.iterator in item)) {
          throw new TypeError("Each header pair must be an iterable [name, value]");
        }
        const pair = Array.isArray(item) ? item : [...item];
        if (pair.length !== 2) throw new TypeError("Header pairs must have exactly two items");
        this.append(pair[0] as string, pair[1] as string);
      }
    } else {
      for (const [k, v] of Object.entries(init)) this.append(k, v);
    }
  }

  append(name: string, value: string): void {
    this.#check();
    const n = normaliseName(name);
    const v = normaliseValue(value);
    if (n === "set-cookie") {
      this.#cookies.push(v);
      return;
    }
    const prev = this.#map.get(n);
    this.#map.set(n, prev === undefined ? v : `${prev}, ${v}`);
  }

  set(name: string, value: string): void {
    this.#check();
    const n = normaliseName(name);
    const v = normaliseValue(value);
    if (n === "set-cookie") this.#cookies = [v];
    else this.#map.set(n, v);
  }

  get(name: string): string | null {
    const n = normaliseName(name);
    if (n === "set-cookie") return this.#cookies.length ? this.#cookies.join(", ") : null;
    return this.#map.get(n) ?? null;
  }

  getSetCookie(): string[] {
    return [...this.#cookies];
  }

  has(name: string): boolean {
    const n = normaliseName(name);
    return n === "set-cookie" ? this.#cookies.length > 0 : this.#map.has(n);
  }

  delete(name: string): void {
    this.#check();
    const n = normaliseName(name);
    if (n === "set-cookie") this.#cookies = [];
    else this.#map.delete(n);
  }

  forEach(cb: (value: string, name: string, headers: Headers) => void, thisArg?: unknown): void {
    for (const [k, v] of this) cb.call(thisArg, v, k, this);
  }

  *entries(): IterableIterator<[string, string]> {
    const names = [...this.#map.keys()];
    if (this.#cookies.length) names.push("set-cookie");
    for (const name of names.sort()) {
      if (name === "set-cookie") for (const c of this.#cookies) yield [name, c];
      else yield [name, this.#map.get(name) as string];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<string> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  get [Symbol.toStringTag]() {
    return "Headers";
  }
}
