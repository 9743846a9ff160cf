// `console.*` for function code: formats arguments like a browser console would (roughly) and hands
// one bounded line per call to the host, which attributes it to the running activation.

/** One line — message and fields' JSON text together — never exceeds this many characters; the host checks again. */
const MAX_LINE = 8192;
/** Fields whose JSON text is longer stay in the message instead (formatted, and truncated with it). */
const MAX_FIELDS = 4096;

export type Level = "debug" | "info" | "warn" | "error";

let report: (error: unknown) => void = () => {};

/** Reports an error nothing caught (a timer callback's, an event listener's) at error level, as a browser does. */
export function reportError(error: unknown): void {
  report(error);
}

/** `fields` is JSON text of a plain object, or undefined: one string is the cheapest thing to copy to the host. */
export function makeConsole(emit: (level: Level, message: string, fields: string | undefined) => void) {
  const write =
    (level: Level) =>
    (...args: unknown[]) => {
      const { message, fields } = toLine(args);
      emit(level, message, fields);
    };
  const error = write("error");
  report = (e) => error("Uncaught", e);
  return {
    log: write("info"),
    info: write("info"),
    debug: write("debug"),
    trace: write("debug"),
    warn: write("warn"),
    error,
  };
}

/**
 * The structured-fields rule (docs/logs.md): when the last of two or more arguments is a plain object, its own
 * enumerable keys become the line's fields and the other arguments its message; an Error among the arguments adds
 * `error.type` and `error.message` (its stack stays in the message, where people read it).
 */
export function toLine(args: unknown[]): { message: string; fields: string | undefined } {
  let rest = args;
  let fields: Record<string, unknown> | undefined;
  const last = args.at(-1);
  if (args.length >= 2 && isPlainObject(last)) {
    rest = args.slice(0, -1);
    fields = { ...last };
  }
  const err = rest.find((a): a is Error => a instanceof Error);
  if (err) fields = { "error.type": err.name, "error.message": err.message, ...fields };
  let json = fields && toJson(fields);
  if (json === undefined || json.length > MAX_FIELDS) {
    // None, unserialisable or too big to be fields: the arguments are shown as they always were, bounded.
    json = undefined;
    rest = args;
  }
  let message = rest.map((a) => (typeof a === "string" ? a : inspect(a))).join(" ");
  const room = MAX_LINE - (json?.length ?? 0);
  if (message.length > room) message = `${message.slice(0, room)}… [truncated ${message.length - room} chars]`;
  return { message, fields: json };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function inspect(value: unknown): string {
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  if (typeof value === "function") return `[Function ${value.name || "anonymous"}]`;
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "symbol" || value === undefined) return String(value);
  return toJson(value) ?? String(value);
}

/** JSON text of anything a function logs: bigints as `1n`, errors as {name, message}, cycles cut; undefined if it fails. */
function toJson(value: unknown): string | undefined {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === "bigint") return `${v}n`;
      if (v instanceof Error) return { name: v.name, message: v.message };
      if (v && typeof v === "object") {
        if (seen.has(v)) return "[Circular]";
        seen.add(v);
      }
      return v;
    });
  } catch {
    return undefined;
  }
}
