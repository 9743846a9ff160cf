// `console.*` for function code: formats arguments like a browser console would (roughly) and hands
// one bounded line per call to the host, which attributes it to the running activation.

/** One line never exceeds this many characters; the host also bounds lines per activation. */
const MAX_LINE = 8192;

export type Level = "debug" | "info" | "warn" | "error";

let report: (error: unknown) => void = () => {};

/** Reports an error nothing caught (a timer callback's, an event listener's) at error level, as a browser does. */
export function reportError(error: unknown): void {
  report(error);
}

export function makeConsole(emit: (level: Level, message: string) => void) {
  const write =
    (level: Level) =>
    (...args: unknown[]) => {
      let line = args.map((a) => (typeof a === "string" ? a : inspect(a))).join(" ");
      if (line.length > MAX_LINE) line = `${line.slice(0, MAX_LINE)}… [truncated ${line.length - MAX_LINE} chars]`;
      emit(level, line);
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

export function inspect(value: unknown): string {
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  if (typeof value === "function") return `[Function ${value.name || "anonymous"}]`;
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "symbol" || value === undefined) return String(value);
  const seen = new WeakSet<object>();
  try {
    return (
      JSON.stringify(value, (_k, v: unknown) => {
        if (typeof v === "bigint") return `${v}n`;
        if (v instanceof Error) return { name: v.name, message: v.message };
        if (v && typeof v === "object") {
          if (seen.has(v)) return "[Circular]";
          seen.add(v);
        }
        return v;
      }) ?? String(value)
    );
  } catch {
    return String(value);
  }
}
