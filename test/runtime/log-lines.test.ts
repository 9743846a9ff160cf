// The host's own checks on what the sandbox logs, for an isolate that bypasses console.ts and calls the bridge with
// anything: lines and fields bounded, unknown levels and malformed fields refused, secrets and lone surrogates gone.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { appendLog, type LogSink, MAX_MESSAGE } from "../../src/runtime/log-lines.ts";

const limits = { maxLines: 100, maxBytes: 256 * 1024 };
const sink = (): LogSink => ({ logs: [], logBytes: 0, dropped: 0 });

describe("appendLog", () => {
  it("bounds an enormous line and counts its bytes against the activation's budget", () => {
    const s = sink();
    appendLog(s, limits, undefined, "info", "a".repeat(1e6), undefined);
    const [line] = s.logs;
    assert.ok(line && line.message.length <= MAX_MESSAGE + 40, `${line?.message.length}`);
    assert.match(line.message, /truncated 991744 chars/);
    assert.equal(s.logBytes, Buffer.byteLength(line.message));
  });

  it("takes any value, an unknown level as info, and drops fields that are not a bounded JSON object", () => {
    const s = sink();
    appendLog(s, limits, undefined, "shout", 42, "[1,2]");
    appendLog(s, limits, undefined, "warn", "x", "{not json");
    appendLog(s, limits, undefined, "warn", "y", `{"big":"${"z".repeat(9000)}"}`);
    appendLog(s, limits, undefined, "error", "z", '{"ok":1}');
    assert.deepEqual(
      s.logs.map((l) => [l.level, l.message, l.fields]),
      [
        ["info", "42", null],
        ["warn", "x", null],
        ["warn", "y", null],
        ["error", "z", { ok: 1 }],
      ],
    );
  });

  it("redacts secrets from keys, strings and digit-only numbers in fields, and repairs lone surrogates", () => {
    const s = sink();
    const secrets = new Map([["PIN", "98765432"]]);
    const fields = JSON.stringify({
      pin: 98765432,
      "x-98765432": ["98765432", { deep: "a98765432b" }],
      lone: "\ud800",
    });
    appendLog(s, limits, secrets, "info", "pin 98765432 \udc00", fields);
    assert.equal(s.logs[0]?.message, "pin [secret PIN] \ufffd");
    assert.deepEqual(s.logs[0]?.fields, {
      pin: "[secret PIN]",
      "x-[secret PIN]": ["[secret PIN]", { deep: "a[secret PIN]b" }],
      lone: "\ufffd",
    });
  });

  it("repairs lone surrogates in fields without secrets too, escaped or raw, and keeps paired ones", () => {
    const s = sink();
    // JSON.stringify escapes a lone surrogate; code that replaced it in the isolate can hand one over raw.
    appendLog(s, limits, undefined, "info", "m", JSON.stringify({ escaped: "a\ud800", "\udc00": 1 }));
    appendLog(s, limits, undefined, "info", "m", '{"raw":"b\udbff"}');
    appendLog(s, limits, undefined, "info", "m", JSON.stringify({ pair: "😀", text: "plain" }));
    assert.deepEqual(
      s.logs.map((l) => l.fields),
      [{ escaped: "a\ufffd", "\ufffd": 1 }, { raw: "b\ufffd" }, { pair: "😀", text: "plain" }],
    );
  });

  it("drops and counts lines past the line or byte budget", () => {
    const s = sink();
    for (let i = 0; i < 5; i++) appendLog(s, { maxLines: 3, maxBytes: 1e6 }, undefined, "info", "l", undefined);
    assert.equal(s.logs.length, 3);
    assert.equal(s.dropped, 2);
    const b = sink();
    appendLog(b, { maxLines: 10, maxBytes: 20 }, undefined, "info", "0123456789", '{"k":"0123456789"}');
    assert.equal(b.logs.length, 0);
    assert.equal(b.dropped, 1);
  });
});
