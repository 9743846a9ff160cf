// WHATWG URL and URLSearchParams for function code. Parsing is the host's (Node's spec parser, passed in at setup),
// so every isolate carries these thin wrappers instead of evaluating a several-hundred-KB URL polyfill.
import { decodeUtf8 } from "./encoding.ts";

type Parser = (input: string, base?: string) => string[] | null;
/** The components, in the order the host parser returns them and NAMES lists them. */
type Parts = [string, string, string, string, string, string, string, string, string, string, string];
const NAMES = "href origin protocol username password host hostname port pathname search hash".split(" ");
const [HREF, , PROTOCOL, USERNAME, PASSWORD, HOST, HOSTNAME, PORT, PATHNAME, SEARCH, HASH] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
] as const;
const SPECIAL = new Set(["ftp:", "file:", "http:", "https:", "ws:", "wss:"]);

let parser: Parser = () => null;

/** Installs the host's parser; until then every URL is invalid, which only the sandbox's own startup could see. */
export function setUrlParser(p: Parser): void {
  parser = p;
}

/** WebIDL USVString conversion: lone surrogates become U+FFFD, so encodeURIComponent cannot throw on them. */
const usv = (v: unknown): string =>
  String(v).replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");

const parse = (url: unknown, base?: unknown): Parts | null =>
  parser(usv(url), base === undefined ? undefined : usv(base)) as Parts | null;

/** An empty host string means either "no host" or "empty host"; only the href tells them apart. */
const hasAuthority = (p: Parts): boolean => p[HOST] !== "" || p[HREF].startsWith("//", p[PROTOCOL].length);
const hasOpaquePath = (p: Parts): boolean => !hasAuthority(p) && !p[PATHNAME].startsWith("/");
const isSpecial = (p: Parts): boolean => SPECIAL.has(p[PROTOCOL]);
const cannotHaveCredentials = (p: Parts): boolean => p[HOST] === "" || p[PROTOCOL] === "file:";
const stripControls = (v: string): string => v.replace(/[\t\n\r]/g, "");
const put = (p: Parts, i: number, v: string): true => {
  p[i] = v;
  return true;
};

/** The components with an empty query or fragment spelled as in the href ("?", "#"), which the getters hide. */
function exact(p: Parts): Parts {
  const q = [...p] as Parts;
  if (q[HASH] === "" && q[HREF].endsWith("#")) q[HASH] = "#";
  if (q[SEARCH] === "" && q[HREF].slice(0, q[HREF].length - q[HASH].length).endsWith("?")) q[SEARCH] = "?";
  return q;
}

/** Serialises components back into an href for the parser, which then applies the spec's normalisation. */
function compose(p: Parts, authority: boolean): string {
  const [, , protocol, user, pass, host, , , path, search, hash] = p;
  let head = protocol;
  if (authority || host !== "") head += `//${user || pass ? `${user}${pass ? `:${pass}` : ""}@` : ""}${host}`;
  else if (path.startsWith("//")) head += "/."; // or the path's empty first segment would read as a host
  return head + path + search + hash;
}

/** The userinfo percent-encode set: characters the parser would otherwise read as structure. */
const encodeUserinfo = (v: string): string => v.replace(/[\0- "#/:;<=>?@[-^`{|}]/g, encodeURIComponent);

/**
 * The spec's setters, as edits to a copy of the components that is then re-parsed. Each mirrors the parser's state
 * override for its component; false means the spec ignores the value.
 */
const SETTERS: Partial<Record<string, (p: Parts, v: string) => boolean>> = {
  protocol(p, v) {
    const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.exec(`${stripControls(v)}:`)?.[0].toLowerCase();
    if (!scheme || SPECIAL.has(scheme) !== isSpecial(p)) return false;
    if (scheme === "file:" && (p[USERNAME] || p[PASSWORD] || p[PORT])) return false;
    return !(p[PROTOCOL] === "file:" && p[HOST] === "") && put(p, PROTOCOL, scheme);
  },
  username: (p, v) => !cannotHaveCredentials(p) && put(p, USERNAME, encodeUserinfo(v)),
  password: (p, v) => !cannotHaveCredentials(p) && put(p, PASSWORD, encodeUserinfo(v)),
  host: (p, v) => setHost(p, v, true),
  hostname: (p, v) => setHost(p, v, false),
  port(p, v) {
    const port = /^\d*/.exec(stripControls(v))![0];
    if (cannotHaveCredentials(p) || (port === "" && v !== "")) return false;
    return put(p, HOST, port ? `${p[HOSTNAME]}:${port}` : p[HOSTNAME]);
  },
  pathname(p, v) {
    // "?" and "#" are path data here, not delimiters.
    let path = v.replace(/[?#]/g, encodeURIComponent);
    if (path !== "" && !(isSpecial(p) ? /^[/\\]/ : /^\//).test(path)) path = `/${path}`;
    return !hasOpaquePath(p) && put(p, PATHNAME, path);
  },
  search: (p, v) => put(p, SEARCH, v === "" ? "" : `?${v.replace(/^\?/, "").replace(/#/g, "%23")}`),
  hash: (p, v) => put(p, HASH, v === "" ? "" : `#${v.replace(/^#/, "")}`),
};

/** The host ends at a path, query or fragment delimiter; a ":" outside brackets starts a port (digits only). */
function setHost(p: Parts, v: string, withPort: boolean): boolean {
  const input = stripControls(v);
  const end = input.search(isSpecial(p) ? /[/?#\\]/ : /[/?#]/);
  const m = /^((?:\[[^\]]*\]|[^:[])*)(?::(.*))?$/.exec(end < 0 ? input : input.slice(0, end));
  const host = m?.[1];
  if (hasOpaquePath(p) || host === undefined || (isSpecial(p) && host === "")) return false;
  if (!withPort && m?.[2] !== undefined) return false;
  const digits = /^\d*/.exec(m?.[2] ?? "")![0];
  // An out-of-range port fails only the port: the spec has already set the host by then.
  const port = withPort && digits && Number(digits) <= 65535 ? digits : p[PORT];
  return put(p, HOST, port ? `${host}:${port}` : host);
}

let linkParams: (params: URLSearchParams, onChange: (query: string) => void) => void;
let resetParams: (params: URLSearchParams, query: string) => void;

export class URL {
  #p: Parts;
  #params: URLSearchParams | undefined;
  declare href: string;
  declare readonly origin: string;
  declare protocol: string;
  declare username: string;
  declare password: string;
  declare host: string;
  declare hostname: string;
  declare port: string;
  declare pathname: string;
  declare search: string;
  declare hash: string;

  static {
    // One accessor per component, enumerable like WebIDL attributes; origin alone has no setter.
    NAMES.forEach((name, i) => {
      const accessor: PropertyDescriptor = {
        enumerable: true,
        configurable: true,
        get(this: URL) {
          return this.#p[i];
        },
      };
      if (name !== "origin") {
        accessor.set = function (this: URL, v: unknown) {
          this.#set(name, usv(v));
        };
      }
      Object.defineProperty(URL.prototype, name, accessor);
    });
  }

  constructor(url: string | URL, base?: string | URL) {
    const parts = parse(url, base);
    if (!parts) throw new TypeError(`Invalid URL: ${String(url)}`);
    this.#p = parts;
  }

  static canParse(url: string | URL, base?: string | URL): boolean {
    return parse(url, base) !== null;
  }
  static parse(url: string | URL, base?: string | URL): URL | null {
    try {
      return new URL(url, base);
    } catch {
      return null;
    }
  }

  /** href takes the value whole and throws if it does not parse; the others edit components and ignore failures. */
  #set(name: string, v: string): void {
    const next = exact(this.#p);
    const edit = SETTERS[name];
    const parts = edit ? (edit(next, v) ? parse(compose(next, hasAuthority(this.#p))) : null) : parse(v);
    if (!parts && !edit) throw new TypeError(`Invalid URL: ${v}`);
    if (!parts) return;
    const query = this.#p[SEARCH];
    this.#p = parts;
    if (this.#params && (parts[SEARCH] !== query || !edit)) resetParams(this.#params, parts[SEARCH].slice(1));
  }

  get searchParams(): URLSearchParams {
    if (!this.#params) {
      this.#params = new URLSearchParams(this.#p[SEARCH]);
      linkParams(this.#params, (query) => {
        // An emptied query on an opaque path may leave trailing spaces the parser must strip.
        if (query === "" && hasOpaquePath(this.#p)) return this.#set("search", "");
        // Serialised params are already a valid query, so the href is spliced rather than re-parsed.
        const [href, , , , , , , , , search, hash] = exact(this.#p);
        this.#p[SEARCH] = query === "" ? "" : `?${query}`;
        this.#p[HREF] = href.slice(0, href.length - search.length - hash.length) + this.#p[SEARCH] + hash;
      });
    }
    return this.#params;
  }

  toString(): string {
    return this.#p[HREF];
  }
  toJSON(): string {
    return this.#p[HREF];
  }
  get [Symbol.toStringTag](): string {
    return "URL";
  }
}

/** application/x-www-form-urlencoded: encodeURIComponent, then the few bytes the two encodings treat differently. */
const formEncode = (s: string): string =>
  encodeURIComponent(s).replace(/%20|[!'()~]/g, (c) =>
    c === "%20" ? "+" : `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/** Decodes a run of percent-encoded bytes as UTF-8, each maximal invalid subsequence becoming one U+FFFD. */
function utf8(run: string): string {
  const bytes = run
    .split("%")
    .slice(1)
    .map((h) => Number.parseInt(h, 16));
  return decodeUtf8(bytes, false, false)[0];
}

/** The application/x-www-form-urlencoded parser; "%" not followed by two hex digits stays as it is. */
function parseQuery(query: string): [string, string][] {
  const decode = (s: string) => s.replace(/\+/g, " ").replace(/(?:%[0-9a-fA-F]{2})+/g, utf8);
  return query
    .split("&")
    .filter((part) => part !== "")
    .map((part) => {
      const eq = part.indexOf("=");
      return eq < 0 ? [decode(part), ""] : [decode(part.slice(0, eq)), decode(part.slice(eq + 1))];
    });
}

/** An entry test for a name and, when given, a value (an undefined value counts as not given). */
function matching(name: unknown, value?: unknown): (entry: [string, string]) => boolean {
  const n = usv(name);
  const v = value === undefined ? undefined : usv(value);
  return ([k, x]) => k === n && (v === undefined || x === v);
}

type ParamsInit = string | URLSearchParams | Iterable<Iterable<string>> | Record<string, string>;

export class URLSearchParams {
  #list: [string, string][] = [];
  /** Set when the params belong to a URL, whose query follows every change. */
  #onChange: ((query: string) => void) | undefined;

  static {
    linkParams = (params, onChange) => {
      params.#onChange = onChange;
    };
    resetParams = (params, query) => {
      params.#list = parseQuery(query);
    };
  }

  constructor(init: ParamsInit = "") {
    if (typeof init !== "object" || init === null) {
      this.#list = parseQuery(usv(init).replace(/^\?/, ""));
    } else if ((init as Partial<Iterable<unknown>>)[Symbol.iterator] !== undefined) {
      for (const pair of init as Iterable<unknown>) {
        const items = typeof pair === "object" && pair !== null && Symbol.iterator in pair ? [...(pair as [])] : [];
        if (items.length !== 2) throw new TypeError("URLSearchParams: each pair must be a sequence of exactly 2 items");
        this.#list.push([usv(items[0]), usv(items[1])]);
      }
    } else {
      for (const [k, v] of Object.entries(init)) this.#list.push([usv(k), usv(v)]);
    }
  }

  #update(): void {
    this.#onChange?.(this.toString());
  }

  get size(): number {
    return this.#list.length;
  }

  append(name: string, value: string): void {
    this.#list.push([usv(name), usv(value)]);
    this.#update();
  }

  delete(name: string, value?: string): void {
    const match = matching(name, value);
    this.#list = this.#list.filter((e) => !match(e));
    this.#update();
  }

  get(name: string): string | null {
    return this.#list.find(matching(name))?.[1] ?? null;
  }
  getAll(name: string): string[] {
    return this.#list.filter(matching(name)).map(([, v]) => v);
  }
  has(name: string, value?: string): boolean {
    return this.#list.some(matching(name, value));
  }

  /** Replaces the first entry with the name and drops the rest, so the name keeps its position. */
  set(name: string, value: string): void {
    const entry: [string, string] = [usv(name), usv(value)];
    const i = this.#list.findIndex(matching(name));
    if (i < 0) this.#list.push(entry);
    else this.#list = this.#list.flatMap((e, j) => (j === i ? [entry] : j > i && e[0] === entry[0] ? [] : [e]));
    this.#update();
  }

  /** Stable, by UTF-16 code units — which is exactly how JavaScript compares strings. */
  sort(): void {
    this.#list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.#update();
  }

  forEach(callback: (value: string, name: string, params: URLSearchParams) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) callback.call(thisArg, v, k, this);
  }

  /** Reads the list by index as it goes, so changes made during iteration are seen, as the spec requires. */
  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.#list.length; i++) yield [...this.#list[i]!];
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

  toString(): string {
    return this.#list.map(([k, v]) => `${formEncode(k)}=${formEncode(v)}`).join("&");
  }
  get [Symbol.toStringTag](): string {
    return "URLSearchParams";
  }
}
