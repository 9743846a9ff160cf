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
/**
 * Headers from pairs the host has already checked (an incoming request's, see hostRequest): names are only lowercased,
 * values taken as they are. Checking each again with the regular expressions was most of building the request.
 */
export let trustedHeaders: (pairs: readonly (readonly [string, string])[]) => Headers;
/**
 * The pairs iteration gives (sorted by name, each set-cookie apart), as one array, without iteration's generator; or
 * undefined when `headers` is not a Headers (function code may hand anything over as a response's headers).
 */
export let headerPairs: (headers: unknown) => [string, string][] | undefined;

export class Headers {
  #map = new Map<string, string>();
  #cookies: string[] = [];
  #immutable = false;

  static {
    freezeHeaders = (h) => {
      h.#immutable = true;
    };
    trustedHeaders = (pairs) => {
      const h = new Headers();
      for (let i = 0; i < pairs.length; i++) {
        const pair = pairs[i] as readonly [string, string];
        const name = pair[0].toLowerCase();
        const value = pair[1];
        if (name === "set-cookie") {
          h.#cookies.push(value);
          continue;
        }
        const prev = h.#map.get(name);
        h.#map.set(name, prev === undefined ? value : `${prev}, ${value}`);
      }
      return h;
    };
    headerPairs = (h) => {
      if (typeof h !== "object" || h === null || !(#map in h)) return undefined;
      const names = [...h.#map.keys()];
      if (h.#cookies.length) names.push("set-cookie");
      names.sort();
      const pairs: [string, string][] = [];
      for (const name of names) {
        if (name === "set-cookie") for (const c of h.#cookies) pairs.push([name, c]);
        else pairs.push([name, h.#map.get(name) as string]);
      }
      return pairs;
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
    yield* headerPairs(this) as [string, string][];
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
