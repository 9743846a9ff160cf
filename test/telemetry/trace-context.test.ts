// W3C Trace Context parsing: what continues a trace, what is ignored (and so starts a new one), what goes out.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatTraceparent, parseTraceparent, parseTracestate } from "../../src/telemetry/trace-context.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";

describe("parseTraceparent", () => {
  it("reads a version 00 header, sampled or not", () => {
    assert.deepEqual(parseTraceparent(`00-${TRACE}-${SPAN}-01`), { traceId: TRACE, parentSpanId: SPAN });
    assert.deepEqual(parseTraceparent(`00-${TRACE}-${SPAN}-00`), { traceId: TRACE, parentSpanId: SPAN });
  });

  it("reads a later version as far as version 00 goes, extra fields included", () => {
    assert.deepEqual(parseTraceparent(`01-${TRACE}-${SPAN}-01`), { traceId: TRACE, parentSpanId: SPAN });
    assert.deepEqual(parseTraceparent(`cc-${TRACE}-${SPAN}-01-what-the-future-holds`), {
      traceId: TRACE,
      parentSpanId: SPAN,
    });
  });

  const invalid: [string, string | undefined][] = [
    ["absent", undefined],
    ["empty", ""],
    ["version ff", `ff-${TRACE}-${SPAN}-01`],
    ["all-zero trace id", `00-${"0".repeat(32)}-${SPAN}-01`],
    ["all-zero span id", `00-${TRACE}-${"0".repeat(16)}-01`],
    ["uppercase hex", `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ["uppercase version", `0A-${TRACE}-${SPAN}-01`],
    ["not hex", `00-${TRACE.slice(0, 31)}g-${SPAN}-01`],
    ["short trace id", `00-${TRACE.slice(1)}-${SPAN}-01`],
    ["long span id", `00-${TRACE}-${SPAN}0-01`],
    ["short flags", `00-${TRACE}-${SPAN}-1`],
    ["version 00 with more fields", `00-${TRACE}-${SPAN}-01-extra`],
    ["later version glued to more", `01-${TRACE}-${SPAN}-01extra`],
    ["wrong separators", `00_${TRACE}_${SPAN}_01`],
    ["surrounding blanks", ` 00-${TRACE}-${SPAN}-01`],
    ["garbage", "hello"],
  ];
  for (const [what, header] of invalid) {
    it(`ignores ${what}`, () => assert.equal(parseTraceparent(header), undefined));
  }
});

describe("parseTracestate", () => {
  it("keeps valid members, dropping blanks and empty members", () => {
    assert.equal(
      parseTracestate("rojo=00f067aa0ba902b7, congo=t61rcWkgMzE"),
      "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
    );
    assert.equal(parseTracestate("  a=1 ,, tenant@vendor=x y "), "a=1,tenant@vendor=x y");
  });

  it("keeps 32 members and drops a list of 33 whole", () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v${i}`).join(",");
    assert.equal(parseTracestate(list(32)), list(32));
    assert.equal(parseTracestate(list(33)), undefined);
  });

  const invalid: [string, string][] = [
    ["empty", ""],
    ["only blanks and commas", " , ,"],
    ["a member without =", "a=1,b"],
    ["an uppercase key", "Rojo=1"],
    ["a key starting with a digit without a tenant", "1abc=1"],
    ["a value with =", "a=b=c"],
    ["an empty value", "a="],
    ["a duplicate key", "a=1,b=2,a=3"],
    ["a value over 256 characters", `a=${"x".repeat(257)}`],
    ["a non-ASCII value", "a=ü"],
  ];
  for (const [what, header] of invalid) {
    it(`drops ${what}`, () => assert.equal(parseTracestate(header), undefined));
  }
});

describe("formatTraceparent", () => {
  it("names a span in a sampled version 00 traceparent that parses back", () => {
    const header = formatTraceparent(TRACE, SPAN);
    assert.equal(header, `00-${TRACE}-${SPAN}-01`);
    assert.deepEqual(parseTraceparent(header), { traceId: TRACE, parentSpanId: SPAN });
  });
});
