// Reading a value from standard input, for commands whose value must stay out of the shell's history and the
// process list (`pave secret set`) or may be binary (`pave kv put`).
import { UsageError } from "./errors.ts";

/** What the CLI reads from: process.stdin, or any async iterable of chunks that says whether it is a terminal. */
export interface Input extends AsyncIterable<Buffer | string> {
  isTTY?: boolean;
}

/**
 * All of `input` as bytes. A terminal is refused with `howTo` as the message: waiting for typed input that ends
 * with Ctrl-D surprises people, and a typed secret would echo on the screen.
 */
export async function readInput(input: Input, howTo: string): Promise<Buffer> {
  if (input.isTTY) throw new UsageError(howTo);
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** The bytes as UTF-8 text without one trailing newline (`\n` or `\r\n`), as `echo` and editors leave one. */
export function textValue(bytes: Buffer, what: string): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${what} on stdin is not valid UTF-8 text`);
  }
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  if (text.endsWith("\n")) return text.slice(0, -1);
  return text;
}
