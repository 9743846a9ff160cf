// Text from functions (log lines, error messages) made safe to print: a terminal shows it, never obeys it.
// Control characters and bidi overrides are escaped visibly, so one log line stays one line and cannot recolour,
// retitle, hyperlink or rewrite what is already on the screen.

/**
 * C0 controls except tab, DEL, C1 controls (8-bit CSI, OSC…), the line and paragraph separators, bidi overrides and
 * isolates (which reorder what follows), and lone surrogates.
 */
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what this module is for.
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\b": "\\b", "\f": "\\f", "\v": "\\v" };

/**
 * `text` with every unsafe character written as an escape: `\n`, `\r`, `\b`, `\f`, `\v` by name, the rest as
 * `\u001b`-style escapes (a lone surrogate as U+FFFD). Tabs and all printable Unicode are left alone.
 * @example printable("\x1b[31mred\nnext") // "\\u001b[31mred\\nnext"
 */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    if (code >= 0xd800 && code <= 0xdfff) return "\ufffd";
    return `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** What JSON.stringify leaves raw of UNSAFE: it escapes C0 controls, and lone surrogates, itself. */
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON that is just as safe on a terminal: the unsafe characters JSON.stringify leaves raw (they can only be inside
 * strings) become `\uXXXX` escapes — still valid JSON, meaning the same text. `indent` as JSON.stringify's.
 */
export function safeJson(value: unknown, indent?: number): string {
  return (JSON.stringify(value, null, indent) ?? "null").replace(
    RAW_IN_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
