// The CLI's output helpers: aligned tables, durations, local timestamps and relative times, plus the log line
// format of `pave logs`.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { reportError } from "../../src/cli/errors.ts";
import { formatLine } from "../../src/cli/logs.ts";
import {
  ago,
  formatClock,
  formatDuration,
  formatMemory,
  formatTime,
  printJson,
  printJsonLine,
  table,
} from "../../src/cli/output.ts";
import { ApiError } from "../../src/client/index.ts";

describe("table", () => {
  it("aligns columns two spaces apart with no trailing spaces", () => {
    const out = table(
      [
        ["hello", "v1", "128 MB"],
        ["a-much-longer-name", "v22", "-"],
      ],
      ["NAME", "VERSION", "MEMORY"],
      false,
    );
    assert.equal(
      out,
      [
        "NAME                VERSION  MEMORY",
        "hello               v1       128 MB",
        "a-much-longer-name  v22      -",
      ].join("\n"),
    );
  });

  it("prints only the headers when there are no rows, and bolds them on a terminal", () => {
    assert.equal(table([], ["A", "B"], false), "A  B");
    assert.equal(table([], ["A"], true), "\x1b[1mA\x1b[0m");
  });

  it("tolerates short rows", () => {
    assert.equal(table([["x"]], ["AA", "BB"], false), "AA  BB\nx");
  });
});

describe("formatDuration", () => {
  it("uses the unit that fits", () => {
    assert.equal(formatDuration(0), "0ms");
    assert.equal(formatDuration(0.42), "0.4ms");
    assert.equal(formatDuration(3), "3ms");
    assert.equal(formatDuration(12.6), "13ms");
    assert.equal(formatDuration(999), "999ms");
    assert.equal(formatDuration(1000), "1s");
    assert.equal(formatDuration(1250), "1.25s");
    assert.equal(formatDuration(10_000), "10s");
    assert.equal(formatDuration(60_000), "1m");
    assert.equal(formatDuration(125_000), "2m05s");
    assert.equal(formatDuration(3_600_000), "1h");
    assert.equal(formatDuration(3_720_000), "1h02m");
  });
});

describe("formatTime and formatClock", () => {
  const t = new Date(2026, 10, 25, 14, 3, 5, 123).getTime(); // local time
  it("formats local time with milliseconds", () => {
    assert.equal(formatTime(t), "2026-11-25 14:03:05.123");
    assert.equal(formatClock(t), "14:03:05.123");
  });
  it("pads every field", () => {
    assert.equal(formatTime(new Date(2026, 0, 2, 3, 4, 5, 6).getTime()), "2026-01-02 03:04:05.006");
  });
});

describe("ago", () => {
  const now = 1_800_000_000_000;
  it("is coarse and relative to now", () => {
    assert.equal(ago(now, now), "just now");
    assert.equal(ago(now + 5000, now), "just now");
    assert.equal(ago(now - 42_000, now), "42s ago");
    assert.equal(ago(now - 5 * 60_000, now), "5m ago");
    assert.equal(ago(now - 3 * 3_600_000, now), "3h ago");
    assert.equal(ago(now - 2 * 86_400_000, now), "2d ago");
  });
});

describe("formatMemory and formatLine", () => {
  it("formats memory in MB", () => {
    assert.equal(formatMemory(128), "128 MB");
    assert.equal(formatMemory(null), "-");
  });
  it("formats a log line with the level padded and the activation id's last 8 characters", () => {
    const ts = new Date(2026, 10, 25, 14, 3, 5, 123).getTime();
    const line = formatLine({ ts, level: "info", activationId: "0123456789abcdef", message: "hi" });
    assert.equal(line, "2026-11-25 14:03:05.123 INFO  89abcdef hi");
  });
});

describe("terminal safety of what commands print", () => {
  /** What `fn` writes to `stream` while it runs. */
  function captured(stream: NodeJS.WriteStream, fn: () => void): string {
    const write = stream.write;
    let text = "";
    stream.write = ((chunk: string) => {
      text += chunk;
      return true;
    }) as typeof stream.write;
    try {
      fn();
    } finally {
      stream.write = write;
    }
    return text;
  }
  const hostile = "boom \x1b]0;PWNED\x07\x1b[2J\rgone \u009b31m \u202e \u2028";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point.
  const obeyed = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u202a-\u202e]/;

  it("escapes a function's own text in an error, as text and as JSON", () => {
    const err = new ApiError("FunctionError", hostile, 502);
    const text = captured(process.stderr, () => reportError(err, { json: false, command: "invoke" }));
    assert.doesNotMatch(text, obeyed, JSON.stringify(text));
    assert.match(text, /^error: FunctionError: boom \\u001b\]0;PWNED\\u0007\\u001b\[2J\\rgone/);
    const json = captured(process.stdout, () => reportError(err, { json: true, command: "invoke" }));
    assert.doesNotMatch(json.trimEnd(), obeyed, json);
    assert.equal((JSON.parse(json) as { error: { message: string } }).error.message, hostile);
  });

  it("prints --json answers that parse back to the same text and hold nothing a terminal obeys", () => {
    for (const print of [printJson, printJsonLine]) {
      const out = captured(process.stdout, () => print({ activation: { errorMessage: hostile } }));
      assert.doesNotMatch(out.replaceAll("\n", " "), obeyed, out);
      assert.equal((JSON.parse(out) as { activation: { errorMessage: string } }).activation.errorMessage, hostile);
    }
  });
});
