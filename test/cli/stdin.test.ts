// Reading values from stdin: a terminal is refused with the way to pipe instead; text loses exactly one trailing
// newline and must be UTF-8; --ttl durations parse to seconds.
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import { UsageError } from "../../src/cli/errors.ts";
import { parseTtl } from "../../src/cli/kv.ts";
import { type Input, readInput, textValue } from "../../src/cli/stdin.ts";

function input(chunks: (string | Buffer)[], isTTY?: boolean): Input {
  const stream = Readable.from(chunks) as Readable & Input;
  if (isTTY !== undefined) stream.isTTY = isTTY;
  return stream;
}

test("a terminal on stdin is refused with the given advice, before anything is read", async () => {
  let read = false;
  const tty: Input = {
    isTTY: true,
    async *[Symbol.asyncIterator]() {
      read = true;
      yield "typed";
    },
  };
  await assert.rejects(readInput(tty, "pipe it in: `printf %s v | pave secret set X`"), (err: Error) => {
    assert.ok(err instanceof UsageError);
    assert.equal(err.message, "pipe it in: `printf %s v | pave secret set X`");
    return true;
  });
  assert.equal(read, false);
});

test("a pipe is read whole, as bytes", async () => {
  const bytes = await readInput(input(["ab", Buffer.from([0, 255]), "c"], false), "unused");
  assert.deepEqual([...bytes], [97, 98, 0, 255, 99]);
  assert.equal((await readInput(input([]), "unused")).length, 0);
});

test("text loses one trailing newline, LF or CRLF, and nothing else", () => {
  const cases: [string, string][] = [
    ["value\n", "value"],
    ["value\r\n", "value"],
    ["value\n\n", "value\n"],
    ["value\r\n\r\n", "value\r\n"],
    ["value", "value"],
    ["  spaced  \n", "  spaced  "],
    ["multi\nline\n", "multi\nline"],
    ["\n", ""],
    ["ünïcode ✓\n", "ünïcode ✓"],
  ];
  for (const [raw, expected] of cases) assert.equal(textValue(Buffer.from(raw), "v"), expected, JSON.stringify(raw));
});

test("text that is not UTF-8 is a usage error naming what was read", () => {
  assert.throws(() => textValue(Buffer.from([0x66, 0xff]), "the secret value"), {
    name: "UsageError",
    message: "the secret value on stdin is not valid UTF-8 text",
  });
});

test("--ttl takes seconds or a duration with s, m, h or d", () => {
  assert.equal(parseTtl("90"), 90);
  assert.equal(parseTtl("90s"), 90);
  assert.equal(parseTtl("30m"), 1800);
  assert.equal(parseTtl("1h"), 3600);
  assert.equal(parseTtl("7d"), 604_800);
  for (const bad of ["0", "0h", "1.5h", "-1", "1w", "h", "", "1 h"]) {
    assert.throws(() => parseTtl(bad), /Expected a duration like 90s, 30m, 1h or 7d/, bad);
  }
});
