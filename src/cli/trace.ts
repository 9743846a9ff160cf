// `pave trace TRACE_ID`: a trace's spans as a waterfall in the terminal — the span tree indented, each span's
// function@version, duration and status, and a bar placed on the trace's time line, as wide as the terminal allows.
import type { Command } from "commander";
import type { Span, TraceAnswer } from "../client/index.ts";
import { clientFrom, optsOf } from "./client.ts";
import { formatDuration, formatTime, printJson } from "./output.ts";
import { printable } from "./safe-text.ts";

export function registerTrace(program: Command): void {
  program
    .command("trace")
    .description(
      "draw a trace's spans as a waterfall: invocations and the kv, fetch, service and publish calls they made",
    )
    .argument("<trace-id>", "W3C trace id (32 hex digits), e.g. from a response's traceparent header")
    .action(async (traceId: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf(cmd);
      const trace = await clientFrom(opts).getTrace(traceId);
      if (opts.json) return printJson(trace);
      const color = process.stdout.isTTY === true;
      process.stdout.write(`${renderWaterfall(trace, { columns: process.stdout.columns || 80, color })}\n`);
    });
}

interface Row {
  span: Span;
  depth: number;
}

const NAME_MAX = 40;
const WHERE_MAX = 28;
const BAR_MIN = 10;

/** The waterfall as text lines no wider than `columns` (the bar takes what the other columns leave). */
export function renderWaterfall(trace: TraceAnswer, opts: { columns: number; color: boolean }): string {
  const rows = treeOrder(trace.spans);
  const versions = new Map<string, string>();
  for (const s of trace.spans) {
    const v = s.attributes["faas.version"];
    if (s.kind === "server" && typeof v === "string") versions.set(s.activationId, v);
  }
  const raw = rows.map(({ span, depth }) => ({
    span,
    // Names and messages come from functions (a kv key, a thrown error): shown, never obeyed by the terminal.
    name: `${"  ".repeat(depth)}${printable(span.name)}`,
    where: `${span.function}@${versions.get(span.activationId) ?? "?"}`,
    duration: formatDuration(span.durationMs),
    status: span.status === "error" ? "error" : "ok",
  }));
  const duration = Math.max(8, ...raw.map((c) => c.duration.length));
  const status = 6;
  // The bar gets at least BAR_MIN cells: on a narrow terminal the name and function columns give way first.
  const room = Math.max(8, opts.columns - (duration + status + 4 * 2) - (BAR_MIN + 2));
  const w = { name: 0, where: 0, duration, status };
  w.name = Math.min(NAME_MAX, Math.max(4, ...raw.map((c) => c.name.length)), Math.max(4, Math.ceil(room * 0.6)));
  w.where = Math.min(WHERE_MAX, Math.max(8, ...raw.map((c) => c.where.length)), Math.max(4, room - w.name));
  const cells = raw.map((c) => ({ ...c, name: clip(c.name, w.name), where: clip(c.where, w.where) }));
  const barWidth = Math.max(BAR_MIN, opts.columns - (w.name + w.where + w.duration + w.status + 4 * 2) - 2);
  const total = Math.max(trace.durationMs, 0.001);
  const paint = (text: string, code: string) => (opts.color ? `\x1b[${code}m${text}\x1b[0m` : text);

  const errors = trace.spans.filter((s) => s.status === "error").length;
  const lines = [
    `trace ${trace.traceId} · ${plural(trace.spans.length, "span")}${errors ? ` · ${plural(errors, "error")}` : ""} · ` +
      `${formatDuration(trace.durationMs)} · started ${formatTime(trace.startedAt)}`,
    "",
  ];
  const scale = `0${formatDuration(total).padStart(barWidth - 1)}`;
  const head = [
    clip("SPAN", w.name).padEnd(w.name),
    clip("FUNCTION", w.where).padEnd(w.where),
    "DURATION".padStart(w.duration),
    "STATUS".padEnd(w.status),
    `|${scale}|`,
  ].join("  ");
  lines.push(opts.color ? paint(head, "1") : head);
  for (const c of cells) {
    const from = Math.min(barWidth - 1, Math.floor(((c.span.startedAt - trace.startedAt) / total) * barWidth));
    const length = Math.max(1, Math.min(barWidth - from, Math.round((c.span.durationMs / total) * barWidth)));
    const bar = " ".repeat(from) + paint("█".repeat(length), c.status === "error" ? "31" : "36");
    const line = [
      c.name.padEnd(w.name),
      c.where.padEnd(w.where),
      c.duration.padStart(w.duration),
      c.status === "error" ? paint("error".padEnd(w.status), "31") : "ok".padEnd(w.status),
      `|${bar}${" ".repeat(barWidth - from - length)}|`,
    ].join("  ");
    lines.push(line);
  }
  const failed = rows.filter((r) => r.span.status === "error");
  if (failed.length > 0) lines.push("", "errors:");
  for (const { span } of failed) lines.push(`  ${printable(span.name)}: ${printable(span.statusMessage ?? "failed")}`);
  return lines.join("\n");
}

/** Depth-first from the roots (spans whose parent is not in the trace: the caller lives outside Pave), by start. */
function treeOrder(spans: Span[]): Row[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, Span[]>();
  const roots: Span[] = [];
  for (const s of spans) {
    if (s.parentSpanId === null || !ids.has(s.parentSpanId)) roots.push(s);
    else children.set(s.parentSpanId, [...(children.get(s.parentSpanId) ?? []), s]);
  }
  const byStart = (a: Span, b: Span) => a.startedAt - b.startedAt;
  const rows: Row[] = [];
  const seen = new Set<string>();
  const walk = (s: Span, depth: number) => {
    if (seen.has(s.spanId)) return;
    seen.add(s.spanId);
    rows.push({ span: s, depth });
    for (const c of (children.get(s.spanId) ?? []).sort(byStart)) walk(c, depth + 1);
  };
  for (const r of roots.sort(byStart)) walk(r, 0);
  return rows;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
