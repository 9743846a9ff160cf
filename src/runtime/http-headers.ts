// Header names and values as Node's HTTP accepts them. The host checks them wherever headers come out of an isolate
// (a response; a service call's request, which the callee's sandbox takes as checked): the sandbox's own checks run
// where function code can change them.

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What Node's http refuses in a header value. */
const BAD_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** Why `headers` is not a list of valid [name, value] pairs, or undefined when it is. */
export function headersProblem(headers: unknown): string | undefined {
  if (!Array.isArray(headers)) return "the headers must be a list of [name, value] pairs";
  for (const pair of headers as unknown[]) {
    const [name, value] = Array.isArray(pair) ? (pair as unknown[]) : [];
    if (
      typeof name !== "string" ||
      typeof value !== "string" ||
      !HEADER_NAME.test(name) ||
      BAD_HEADER_VALUE.test(value)
    ) {
      return `invalid header ${JSON.stringify(pair)}`;
    }
  }
  return undefined;
}
