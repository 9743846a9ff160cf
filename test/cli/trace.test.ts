// `pave trace`'s waterfall: the span tree in order and indented, function@version, durations, status, and bars
// placed on the trace's time line within the terminal's width.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderWaterfall } from "../../src/cli/trace.ts";
import type { Span, TraceAnswer } from "../../src/client/index.ts";

const T = "4bf92f3577b34da6a3ce929d0e0e4736";
const T0 = 1_700_000_000_000;

function span(spanId: string, parentSpanId: string | null, name: string, extra: Partial<Span> = {}): Span {
  return {
    traceId: T,
    spanId: spanId.padStart(16, "0"),
    parentSpanId: parentSpanId?.padStart(16, "0") ?? null,
    name,
    kind: "client",
    startedAt: T0,
    durationMs: 1,
    status: "ok",
    statusMessage: null,
    attributes: {},
    activationId: "act-shop",
    env: "prod",
    function: "shop",
    ...extra,
  };
}

// Listed out of order on purpose: the tree comes from the parent links and start times.
const spans: Span[] = [
  span("5", "1", "GET api.example.com", {
    startedAt: T0 + 80,
    durationMs: 20,
    status: "error",
    statusMessage: "EgressDenied: api.example.com is not in this function's egress list",
  }),
  span("3", "2", "inventory", {
    kind: "server",
    startedAt: T0 + 12,
    durationMs: 40,
    activationId: "act-inv",
    function: "inventory",
    attributes: { "faas.version": "9f8e7d6c5b4a" },
  }),
  span("1", "abc", "GET /fn/shop", {
    kind: "server",
    durationMs: 100,
    attributes: { "faas.version": "1a2b3c4d5e6f" },
  }),
  span("2", "1", "GET inventory", { startedAt: T0 + 10, durationMs: 50 }),
  span("4", "3", "kv.get stock", {
    startedAt: T0 + 20,
    durationMs: 0.5,
    activationId: "act-inv",
    function: "inventory",
  }),
];
const trace: TraceAnswer = { traceId: T, startedAt: T0, durationMs: 100, spans };

describe("renderWaterfall", () => {
  it("draws the tree in start order, indented, with function@version, duration and status", () => {
    const lines = renderWaterfall(trace, { columns: 100, color: false }).split("\n");
    assert.match(lines[0] ?? "", new RegExp(`^trace ${T} · 5 spans · 1 error · 100ms · started `));
    assert.match(lines[2] ?? "", /^SPAN +FUNCTION +DURATION +STATUS +\|0 +100ms\|$/);
    const body = lines.slice(3, 8);
    const names = body.map((l) => l.slice(0, l.search(/\S {2}/) + 1));
    assert.deepEqual(names, [
      "GET /fn/shop",
      "  GET inventory",
      "    inventory",
      "      kv.get stock",
      "  GET api.example.com",
    ]);
    assert.match(body[0] ?? "", /shop@1a2b3c4d5e6f +100ms +ok +\|█+\|$/);
    assert.match(body[2] ?? "", /inventory@9f8e7d6c5b4a +40ms +ok/);
    // A child span has its invocation's version.
    assert.match(body[3] ?? "", /inventory@9f8e7d6c5b4a +0\.5ms +ok/);
    assert.match(body[4] ?? "", /shop@1a2b3c4d5e6f +20ms +error/);
    assert.deepEqual(lines.slice(8), [
      "",
      "errors:",
      "  GET api.example.com: EgressDenied: api.example.com is not in this function's egress list",
    ]);
  });

  it("places bars on the trace's time line, scaled to the terminal's width", () => {
    for (const columns of [80, 100, 160]) {
      const lines = renderWaterfall(trace, { columns, color: false }).split("\n").slice(2, 8);
      for (const l of lines) assert.ok(l.length <= columns, `${l.length} > ${columns}: ${l}`);
      const bars = lines.map((l) => l.slice(l.indexOf("|") + 1, -1));
      const width = (bars[0] ?? "").length;
      assert.ok(bars.every((b) => b.length === width));
      const root = bars[1] ?? "";
      assert.equal(root, "█".repeat(width), "the root spans the whole trace");
      // GET inventory: from 10% for 50%; the denied fetch: the last 20%.
      const inv = bars[2] ?? "";
      assert.equal(inv.indexOf("█"), Math.floor(width * 0.1));
      assert.equal(inv.trim().length, Math.round(width * 0.5));
      const denied = bars[5] ?? "";
      assert.equal(denied.indexOf("█"), Math.floor(width * 0.8));
      assert.ok(denied.endsWith("█"));
      // A span shorter than one cell still shows.
      assert.equal((bars[4] ?? "").trim(), "█");
    }
  });

  it("keeps a usable bar on a narrow terminal and colours only on a terminal", () => {
    const narrow = renderWaterfall(trace, { columns: 20, color: false }).split("\n")[3] ?? "";
    assert.ok(narrow.endsWith(`|${"█".repeat(10)}|`));
    assert.ok(!renderWaterfall(trace, { columns: 80, color: false }).includes("\x1b["));
    assert.ok(renderWaterfall(trace, { columns: 80, color: true }).includes("\x1b[31m"));
  });

  it("shows a function's own text (a kv key, a thrown message) without the terminal obeying it", () => {
    const hostile: TraceAnswer = {
      ...trace,
      spans: [
        span("1", null, "kv.get \x1b]0;PWNED\x07", {
          kind: "server",
          status: "error",
          statusMessage: "Error: \x1b[2J\rgone\u202e",
        }),
      ],
    };
    const text = renderWaterfall(hostile, { columns: 100, color: false });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point.
    assert.doesNotMatch(text.replaceAll("\n", " "), /[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
    assert.match(text, /Error: \\u001b\[2J\\rgone\\u202e/);
  });
});
