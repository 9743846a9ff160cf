// How `pave logs` shows a line: fields as k=v pairs, `--json` with stable keys, and hostile text (ANSI escapes,
// OSC hyperlinks, carriage returns, newlines, bidi overrides, lone surrogates) escaped rather than obeyed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatLine, formatMessage, jsonLine } from "../../src/cli/logs.ts";
import { printable, safeJson } from "../../src/cli/safe-text.ts";
import type { LogLine } from "../../src/client/index.ts";

const ts = new Date(2026, 10, 25, 14, 3, 5, 123).getTime();

/** Whether `text` holds anything a terminal would act on instead of showing. */
function obeyed(text: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point.
  return /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(text);
}

describe("printable", () => {
  it("escapes control characters visibly, keeps tabs and ordinary Unicode", () => {
    assert.equal(printable("\x1b[31mred\x1b]8;;http://evil\x07"), "\\u001b[31mred\\u001b]8;;http://evil\\u0007");
    assert.equal(printable("line1\nline2\r\rfake"), "line1\\nline2\\r\\rfake");
    assert.equal(printable("a\tb\bc\u0000d\u007f\u009b"), "a\tb\\bc\\u0000d\\u007f\\u009b");
    assert.equal(printable("évident 😀 日本"), "évident 😀 日本");
    assert.equal(printable("abc\u202edcba"), "abc\\u202edcba");
    assert.equal(printable("lone \ud800 and \udc00"), "lone \ufffd and \ufffd");
  });

  it("makes JSON lines that parse back to the same text and hold no raw control character", () => {
    const hostile = "\x1b[2J\u009b31m\u202e\u2028x\ud800";
    const json = safeJson({ message: hostile });
    assert.ok(!obeyed(json), json);
    assert.equal((JSON.parse(json) as { message: string }).message, hostile);
  });
});

describe("formatLine", () => {
  it("shows fields as k=v after the message, quoting values that are not plain words or numbers", () => {
    const line = formatLine({
      ts,
      level: "info",
      activationId: "0123456789abcdef",
      message: "paid",
      fields: { orderId: 7, amount: 12.5, note: "two words", ok: true, nested: { a: [1] }, empty: "" },
    });
    assert.equal(
      line,
      '2026-11-25 14:03:05.123 INFO  89abcdef paid orderId=7 amount=12.5 note="two words" ok=true nested={"a":[1]} empty=""',
    );
  });

  it("keeps a hostile line on one terminal line, shown literally", () => {
    const hostile = [
      "\x1b[31mred\x1b]8;;http://evil\x07",
      "line1\nline2\r\rfake",
      "a".repeat(8192),
      "\ud800",
      "\u202eevil",
    ];
    for (const message of hostile) {
      const out = formatLine({ ts, level: "error", activationId: "x", message, fields: { [message]: message } });
      assert.ok(!obeyed(out), JSON.stringify(out));
      assert.ok(!out.includes("\n"));
    }
    assert.equal(formatMessage({ message: "a\nb", fields: { "k\x1b": "v\r" } }), 'a\\nb k\\u001b="v\\r"');
  });
});

describe("jsonLine", () => {
  it("prints every line with the same keys in the same order, times in epoch ms", () => {
    const line: LogLine = {
      id: 3,
      activationId: "a1",
      env: "prod",
      function: "checkout",
      version: "v1",
      ts,
      level: "info",
      message: "\x1b[31mhi",
      fields: { orderId: 7 },
      traceId: "t",
      correlationId: "c",
    };
    const out = jsonLine(line);
    assert.ok(!obeyed(out));
    const parsed = JSON.parse(out) as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), [
      "id",
      "ts",
      "level",
      "message",
      "fields",
      "activationId",
      "function",
      "version",
      "env",
      "traceId",
      "correlationId",
    ]);
    assert.equal(parsed.ts, ts);
    assert.equal(parsed.message, "\x1b[31mhi");
    assert.deepEqual(JSON.parse(jsonLine({ ...line, fields: null })).fields, null);
  });
});
