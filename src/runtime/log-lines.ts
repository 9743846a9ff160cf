// What the host keeps of a line the sandbox logs: checked again here, since the isolate's code is not ours to trust —
// a known level, bounded text, well-formed Unicode (no lone surrogates) and no secret values, in message and fields.
import { redactSecrets } from "./bindings/index.ts";
import type { SandboxLogLevel } from "./protocol.ts";

export interface LogEntry {
  ts: number;
  level: SandboxLogLevel;
  message: string;
  /** The line's structured fields (a plain object of JSON values), or null. */
  fields: Record<string, unknown> | null;
  /** Its message's UTF-8 bytes and its fields' JSON length, as the budget counts them (the store sizes chunks by it). */
  bytes: number;
}

export interface LogLimits {
  /** Lines kept per activation; more are counted as dropped. */
  maxLines: number;
  /** Bytes of messages and fields kept per activation. */
  maxBytes: number;
}

/** Where an invocation's lines collect. */
export interface LogSink {
  logs: LogEntry[];
  logBytes: number;
  dropped: number;
}

/** The sandbox bounds a line (message + fields) to 8 KiB; a little slack here for its truncation note. */
export const MAX_MESSAGE = 8192 + 64;
const MAX_FIELDS = 8192;
const LEVELS = new Set<unknown>(["debug", "info", "warn", "error"]);

/** Adds one line to `sink` within `limits`, cleaned; `secrets` (name → value) are replaced by `[secret NAME]`. */
export function appendLog(
  sink: LogSink,
  limits: LogLimits,
  secrets: Map<string, string> | undefined,
  level: unknown,
  message: unknown,
  fields: unknown,
): void {
  if (sink.logs.length >= limits.maxLines) {
    sink.dropped++;
    return;
  }
  let text = typeof message === "string" ? message : String(message);
  if (text.length > MAX_MESSAGE) text = `${text.slice(0, MAX_MESSAGE)}… [truncated ${text.length - MAX_MESSAGE} chars]`;
  text = wellFormed(text);
  if (secrets && secrets.size > 0) text = redactSecrets(text, secrets);
  let kept: Record<string, unknown> | null = null;
  let fieldsBytes = 0;
  if (typeof fields === "string" && fields.length <= MAX_FIELDS) {
    kept = parseFields(fields, secrets);
    fieldsBytes = kept === null ? 0 : fields.length;
  }
  const bytes = Buffer.byteLength(text) + fieldsBytes;
  if (sink.logBytes + bytes > limits.maxBytes) {
    sink.dropped++;
    return;
  }
  sink.logBytes += bytes;
  sink.logs.push({
    ts: Date.now(),
    level: LEVELS.has(level) ? (level as SandboxLogLevel) : "info",
    message: text,
    fields: kept,
    bytes,
  });
}

/** A plain object from JSON text, with every key and string made well-formed and free of secrets; null otherwise. */
function parseFields(json: string, secrets: Map<string, string> | undefined): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  // No secret to scrub, and no lone surrogate (JSON.stringify escapes one as \udxxx; raw, the text would show it):
  // the parsed object is kept as it is. The walk below took most of a line's cost on the host's thread.
  if ((!secrets || secrets.size === 0) && !json.includes("\\u") && json.isWellFormed()) {
    return value as Record<string, unknown>;
  }
  const clean = (s: string) => {
    const t = wellFormed(s);
    return secrets && secrets.size > 0 ? redactSecrets(t, secrets) : t;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return clean(v);
    // A secret made of digits would survive as a number: it is kept as text, scrubbed.
    if (typeof v === "number" && secrets && secrets.size > 0) {
      const s = String(v);
      const r = redactSecrets(s, secrets);
      return r === s ? v : r;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [clean(k), walk(x)]));
    }
    return v;
  };
  return walk(value) as Record<string, unknown>;
}

/**
 * `text` with each lone surrogate (a JS string may hold one; UTF-8 cannot) replaced by U+FFFD, so SQLite, PostgreSQL
 * and JSON all store and return exactly what is shown.
 */
export function wellFormed(text: string): string {
  return text.isWellFormed() ? text : text.toWellFormed();
}
