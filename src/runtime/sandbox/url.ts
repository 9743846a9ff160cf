// WHATWG URL and URLSearchParams for function code. Parsing is the host's (Node's spec parser, passed in at setup),
// so every isolate carries these thin wrappers instead of evaluating a several-hundred-KB URL polyfill.
type Parser = (input: string, base?: string) => string[] | null;
/** The components in the order the host parser returns them. */
type Parts = [string, string, string, string, string, string, string, string, string, string, string];
const [HREF, ORIGIN, PROTOCOL, USERNAME, PASSWORD, HOST, HOSTNAME, PORT, PATHNAME, SEARCH, HASH] = [
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

function parse(url: unknown, base?: unknown): Parts | null {
  return parser(usv(url), base === undefined ? undefined : usv(base)) as Parts | null;
}

/** The spec's userinfo percent-encode set; the parser would read these as structure rather than data. */
const encodeUserinfo = (v: string): string => usv(v).replace(/[\0- "#/:;<=>?@[-^`{|}]/g, encodeURIComponent);

/** Serialises components back into an href for the parser, which then applies the spec's normalisation. */
function compose(p: Parts, authority: boolean): string {
  const [, , protocol, user, pass, host, , , path, search, hash] = p;
  let head = protocol;
  if (authority || host !== "") {
    head += `//${user || pass ? `${user}${pass ? `:${pass}` : ""}@` : ""}${host}`;
  } else if (path.startsWith("//")) {
    head += "/."; // keeps a path that starts with an empty segment from being read as a host
  }
  return head + path + search + hash;
}

/** The components with an empty query or fragment spelled as in the href ("?", "#"), which the getters hide. */
function exact(p: Parts): Parts {
  const q = [...p] as Parts;
  if (q[HASH] === "" && q[HREF].endsWith("#")) q[HASH] = "#";
  if (q[SEARCH] === "" && q[HREF].slice(0, q[HREF].length - q[HASH].length).endsWith("?")) q[SEARCH] = "?";
  return q;
}

let linkParams: (params: URLSearchParams, onChange: (query: string) => void) => void;
let resetParams: (params: URLSearchParams, query: string) => void;

export class URL {
  #p: Parts;
  #params: URLSearchParams | undefined;

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

  /** Re-parses with one component replaced; the spec's setters ignore values that do not parse. */
  #set(i: number, value: string): void {
    const next = exact(this.#p);
    next[i] = value;
    const parts = parse(compose(next, this.#hasAuthority));
    if (!parts) return;
    const query = this.#p[SEARCH];
    this.#p = parts;
    if (this.#params && parts[SEARCH] !== query) resetParams(this.#params, parts[SEARCH].slice(1));
  }

  /** True for "foo://" with an empty host too, which the host's empty `host` string cannot tell from no host. */
  get #hasAuthority(): boolean {
    return this.#p[HOST] !== "" || this.#p[HREF].startsWith("//", this.#p[PROTOCOL].length);
  }

  get #hasOpaquePath(): boolean {
    return !this.#hasAuthority && !this.#p[PATHNAME].startsWith("/");
  }

  get #cannotHaveCredentialsOrPort(): boolean {
    return this.#p[HOST] === "" || this.#p[PROTOCOL] === "file:";
  }

  get href(): string {
    return this.#p[HREF];
  }
  set href(value: string) {
    const parts = parse(value);
    if (!parts) throw new TypeError(`Invalid URL: ${String(value)}`);
    this.#p = parts;
    if (this.#params) resetParams(this.#params, parts[SEARCH].slice(1));
  }

  get origin(): string {
    return this.#p[ORIGIN];
  }

  get protocol(): string {
    return this.#p[PROTOCOL];
  }
  set protocol(value: string) {
    const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.exec(`${usv(value).replace(/[\t\n\r]/g, "")}:`)?.[0].toLowerCase();
    const current = this.#p[PROTOCOL];
    if (!scheme || SPECIAL.has(scheme) !== SPECIAL.has(current)) return;
    if (scheme === "file:" && (this.#p[USERNAME] || this.#p[PASSWORD] || this.#p[PORT])) return;
    if (current === "file:" && this.#p[HOST] === "") return;
    this.#set(PROTOCOL, scheme);
  }

  get username(): string {
    return this.#p[USERNAME];
  }
  set username(value: string) {
    if (!this.#cannotHaveCredentialsOrPort) this.#set(USERNAME, encodeUserinfo(value));
  }

  get password(): string {
    return this.#p[PASSWORD];
  }
  set password(value: string) {
    if (!this.#cannotHaveCredentialsOrPort) this.#set(PASSWORD, encodeUserinfo(value));
  }

  get host(): string {
    return this.#p[HOST];
  }
  set host(value: string) {
    this.#setHost(value, true);
  }

  get hostname(): string {
    return this.#p[HOSTNAME];
  }
  set hostname(value: string) {
    this.#setHost(value, false);
  }

  #setHost(value: string, withPort: boolean): void {
    if (this.#hasOpaquePath) return;
    const special = SPECIAL.has(this.#p[PROTOCOL]);
    const input = usv(value).replace(/[\t\n\r]/g, "");
    // As the parser's host state does with a state override: the host ends at the first path, query or fragment
    // delimiter; a ":" outside brackets starts a port, which only the host setter takes, and only its leading digits.
    const end = input.search(special ? /[/?#\\]/ : /[/?#]/);
    const m = /^((?:\[[^\]]*\]|[^:[])*)(?::(.*))?$/.exec(end < 0 ? input : input.slice(0, end));
    const host = m?.[1];
    if (host === undefined || (special && host === "") || (!withPort && m?.[2] !== undefined)) return;
    const digits = /^\d*/.exec(m?.[2] ?? "")?.[0];
    const port = withPort && digits && Number(digits) <= 65535 ? digits : this.#p[PORT];
    this.#set(HOST, port ? `${host}:${port}` : host);
  }

  get port(): string {
    return this.#p[PORT];
  }
  set port(value: string) {
    if (this.#cannotHaveCredentialsOrPort) return;
    const port = /^\d*/.exec(usv(value).replace(/[\t\n\r]/g, ""))?.[0] ?? "";
    if (port === "" && value !== "") return;
    this.#set(HOST, port ? `${this.#p[HOSTNAME]}:${port}` : this.#p[HOSTNAME]);
  }

  get pathname(): string {
    return this.#p[PATHNAME];
  }
  set pathname(value: string) {
    if (this.#hasOpaquePath) return;
    // With a state override "?" and "#" are path data, so they are encoded rather than ending the path.
    let path = usv(value).replace(/[?#]/g, encodeURIComponent);
    if (path !== "" && !(SPECIAL.has(this.#p[PROTOCOL]) ? /^[/\\]/ : /^\//).test(path)) path = `/${path}`;
    this.#set(PATHNAME, path);
  }

  get search(): string {
    return this.#p[SEARCH];
  }
  set search(value: string) {
    const query = usv(value).replace(/^\?/, "");
    this.#set(SEARCH, value === "" ? "" : `?${query.replace(/#/g, "%23")}`);
  }

  get searchParams(): URLSearchParams {
    if (!this.#params) {
      this.#params = new URLSearchParams(this.#p[SEARCH]);
      linkParams(this.#params, (query) => {
        // Serialised params are already a valid query, so the href is spliced rather than re-parsed.
        const [href, , , , , , , , , search, hash] = exact(this.#p);
        this.#p[SEARCH] = query === "" ? "" : `?${query}`;
        this.#p[HREF] = href.slice(0, href.length - search.length - hash.length) + this.#p[SEARCH] + hash;
      });
    }
    return this.#params;
  }

  get hash(): string {
    return this.#p[HASH];
  }
  set hash(value: string) {
    const fragment = usv(value).replace(/^#/, "");
    this.#set(HASH, value === "" ? "" : `#${fragment}`);
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

/** application/x-www-form-urlencoded serialising: encodeURIComponent, then the few bytes the two encodings treat differently. */
const formEncode = (s: string): string =>
  encodeURIComponent(usv(s)).replace(/%20|[!'()~]/g, (c) =>
    c === "%20" ? "+" : `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/** Decodes a run of percent-encoded bytes as UTF-8, each maximal invalid subsequence becoming one U+FFFD. */
function utf8(run: string): string {
  const bytes = run
    .split("%")
    .slice(1)
    .map((h) => Number.parseInt(h, 16));
  let out = "";
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i++] as number;
    const n = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    let cp = b & (n > 0 ? 0x3f >> n : 0xff);
    let lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    let hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    let k = 0;
    for (; k < n; k++, i++, lo = 0x80, hi = 0xbf) {
      const c = bytes[i];
      if (c === undefined || c < lo || c > hi) break;
      cp = (cp << 6) | (c & 0x3f);
    }
    out += k === n && n >= 0 ? String.fromCodePoint(cp) : "\uFFFD";
  }
  return out;
}

const formDecode = (s: string): string => s.replace(/\+/g, " ").replace(/(?:%[0-9a-fA-F]{2})+/g, utf8);

function parseQuery(query: string): [string, string][] {
  const list: [string, string][] = [];
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.slice(0, eq);
    list.push([formDecode(name), eq < 0 ? "" : formDecode(part.slice(eq + 1))]);
  }
  return list;
}

type ParamsInit = string | URLSearchParams | Iterable<Iterable<string>> | Record<string, string>;

export class URLSearchParams {
  #list: [string, string][] = [];
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
    if (typeof init === "object" && init !== null) {
      const iterable = (init as Partial<Iterable<unknown>>)[Symbol.iterator];
      if (iterable !== undefined) {
        for (const pair of init as Iterable<Iterable<string>>) {
          if (typeof pair !== "object" || pair === null || !(Symbol.iterator in pair)) {
            throw new TypeError("URLSearchParams: each init pair must be a sequence");
          }
          const items = [...pair];
          if (items.length !== 2) throw new TypeError("URLSearchParams: each init pair must have exactly 2 items");
          this.#list.push([usv(items[0]), usv(items[1])]);
        }
      } else {
        for (const key of Object.keys(init)) this.#list.push([usv(key), usv((init as Record<string, unknown>)[key])]);
      }
    } else {
      this.#list = parseQuery(usv(init).replace(/^\?/, ""));
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
    const n = usv(name);
    const v = value === undefined ? undefined : usv(value);
    this.#list = this.#list.filter(([k, x]) => k !== n || (v !== undefined && x !== v));
    this.#update();
  }

  get(name: string): string | null {
    const n = usv(name);
    return this.#list.find(([k]) => k === n)?.[1] ?? null;
  }

  getAll(name: string): string[] {
    const n = usv(name);
    return this.#list.filter(([k]) => k === n).map(([, v]) => v);
  }

  has(name: string, value?: string): boolean {
    const n = usv(name);
    const v = value === undefined ? undefined : usv(value);
    return this.#list.some(([k, x]) => k === n && (v === undefined || x === v));
  }

  set(name: string, value: string): void {
    const n = usv(name);
    const i = this.#list.findIndex(([k]) => k === n);
    if (i < 0) this.#list.push([n, usv(value)]);
    else {
      this.#list[i] = [n, usv(value)];
      this.#list = this.#list.filter(([k], j) => k !== n || j <= i);
    }
    this.#update();
  }

  /** Stable, by UTF-16 code units — which is exactly how JavaScript compares strings. */
  sort(): void {
    this.#list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.#update();
  }

  forEach(callback: (value: string, name: string, params: URLSearchParams) => void, thisArg?: unknown): void {
    for (let i = 0; i < this.#list.length; i++) {
      const [k, v] = this.#list[i] as [string, string];
      callback.call(thisArg, v, k, this);
    }
  }

  // Iterators read the list by index as they go, so they see changes made during iteration, as the spec requires.
  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.#list.length; i++) yield [...(this.#list[i] as [string, string])];
  }

  *keys(): IterableIterator<string> {
    for (let i = 0; i < this.#list.length; i++) yield (this.#list[i] as [string, string])[0];
  }

  *values(): IterableIterator<string> {
    for (let i = 0; i < this.#list.length; i++) yield (this.#list[i] as [string, string])[1];
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
