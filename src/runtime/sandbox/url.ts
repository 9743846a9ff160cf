// PLACEHOLDER: replaced by the URL/URLSearchParams implementation.
let parser: ((input: string, base?: string) => string[] | null) | undefined;
export function setUrlParser(p: (input: string, base?: string) => string[] | null): void {
  parser = p;
}
export class URL {
  href: string;
  pathname: string;
  constructor(input: string, base?: string) {
    const parts = parser?.(input, base);
    if (!parts) throw new TypeError(`Invalid URL: ${input}`);
    this.href = parts[0] as string;
    this.pathname = parts[8] as string;
  }
}
export class URLSearchParams {}
