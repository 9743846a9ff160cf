// Shared output helpers for the CLI: JSON, aligned tables and human-readable times and durations.
// Plain text and dependency-free; styling (bold/dim) only when the stream is a terminal.
import { safeJson } from "./safe-text.ts";

/** Prints a value as pretty JSON on stdout (the `--json` answer of a command). */
export function printJson(value: unknown): void {
  process.stdout.write(`${safeJson(value, 2)}\n`);
}

/** Prints a value as one line of JSON (NDJSON, for streams). */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${safeJson(value)}\n`);
}

/** Aligns rows under headers, two spaces between columns, no trailing spaces. Headers are bold on a TTY. */
export function table(rows: string[][], headers: string[], color = process.stdout.isTTY === true): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  const head = line(headers);
  return [color ? `\x1b[1m${head}\x1b[0m` : head, ...rows.map(line)].join("\n");
}

/** Dims text when the stream it goes to is a terminal. */
export function dim(text: string, stream: NodeJS.WriteStream = process.stderr): string {
  return stream.isTTY ? `\x1b[2m${text}\x1b[0m` : text;
}

/** `0.4ms`, `12ms`, `1.25s`, `10s`, `2m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  if (ms < 10) return `${trim(ms.toFixed(1))}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${trim((ms / 1000).toFixed(2))}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${pad(s % 60)}s` : ""}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${m % 60 ? `${pad(m % 60)}m` : ""}`;
}

/** Local time as `2026-11-25 14:03:05.123`. */
export function formatTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatClock(epochMs)}`;
}

/** Local time of day as `14:03:05.123`. */
export function formatClock(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

/** How long ago, coarsely: `just now`, `42s ago`, `5m ago`, `3h ago`, `2d ago`. */
export function ago(epochMs: number, now = Date.now()): string {
  const s = Math.floor((now - epochMs) / 1000);
  if (s < 1) return "just now";
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** Dollars with enough digits for the fractions of a cent functions cost: `$12.34`, `$0.000123`. */
export function formatUsd(n: number): string {
  return `$${n < 0.01 && n > -0.01 ? n.toFixed(6) : n.toFixed(2)}`;
}

/** `128 MB`, or `-` when unknown. */
export function formatMemory(mb: number | null | undefined): string {
  return mb == null ? "-" : `${mb} MB`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

function trim(fixed: string): string {
  return fixed.replace(/\.?0+$/, "");
}

/** `512 B`, `12.3 KB`, `4.5 MB`, `1.2 GB` (powers of 1024). */
export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}
