// `pave logs FN`: a function's log lines, filtered by time, level, text, activation or correlation; `--follow`
// streams new lines until Ctrl-C, reconnecting (without gaps) when the connection drops. Output is escaped (safe-text.ts).
import { type Command, Option } from "commander";
import type { LogFilter, LogLine } from "../client/index.ts";
import { clientFrom, optsOf } from "./client.ts";
import { envOption, limitOption } from "./options.ts";
import { dim, formatTime } from "./output.ts";
import { printable, safeJson } from "./safe-text.ts";

interface LogsOpts {
  follow?: boolean;
  since?: string;
  until?: string;
  level?: string;
  grep?: string;
  activation?: string;
  correlation?: string;
  limit?: number;
  env: string;
}

/** What `formatLine` shows of a line. */
export interface ShownLine {
  activationId: string;
  ts: number;
  level: string;
  message: string;
  fields?: Record<string, unknown> | null;
}

export function registerLogs(program: Command): void {
  program
    .command("logs")
    .description("show a function's log lines (--follow to stream them)")
    .argument("<fn>", "function name")
    .option("-f, --follow", "keep streaming new lines until Ctrl-C")
    .option("--since <when>", "only lines since a duration ago (30s, 15m, 1h, 2d) or a date")
    .option("--until <when>", "only lines before a duration ago or a date")
    .addOption(
      new Option("--level <level>", "only lines at this level or above").choices(["debug", "info", "warn", "error"]),
    )
    .option("--grep <text>", "only lines whose message or fields contain this text (any case)")
    .option("--activation <id>", "only this activation's lines")
    .option("--correlation <id>", "only lines of activations with this correlation id")
    .addOption(limitOption(1000, "lines"))
    .addOption(envOption())
    .action(async (fn: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<LogsOpts>(cmd);
      const client = clientFrom(opts);
      const print = (l: LogLine) => process.stdout.write(`${opts.json ? jsonLine(l) : formatLine(l)}\n`);
      const { since, until, level, grep, activation, correlation, limit } = opts;
      const filters = { since, until, level, grep, activation, correlation, limit };
      const q: LogFilter = {
        env: opts.env,
        function: fn,
        ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)),
      };
      if (!opts.follow) {
        for (const line of (await client.logs(q)).logs) print(line);
        return;
      }
      const stop = new AbortController();
      process.once("SIGINT", () => stop.abort());
      // One notice per outage, not one per retry: a line arriving means the connection is back.
      let lost = false;
      const onLine = (l: LogLine) => {
        lost = false;
        print(l);
      };
      const onReconnect = () => {
        if (!lost) process.stderr.write(`${dim("connection lost; reconnecting…")}\n`);
        lost = true;
      };
      await client.followLogs(q, onLine, stop.signal, onReconnect);
    });
}

/**
 * `2026-11-25 14:03:05.123 INFO  1a2b3c4d paid orderId=7 note="two words"`. The short id is the activation id's last
 * 8 characters: ids are UUIDv7, whose first 8 are a timestamp shared by every activation within the same minute.
 * Whatever the function wrote is escaped, so the line is one terminal line that shows its text literally.
 */
export function formatLine(l: ShownLine): string {
  return `${formatTime(l.ts)} ${l.level.toUpperCase().padEnd(5)} ${printable(l.activationId.slice(-8))} ${formatMessage(l)}`;
}

/** The message with its fields as ` k=v` pairs, escaped. */
export function formatMessage(l: Pick<ShownLine, "message" | "fields">): string {
  const fields = Object.entries(l.fields ?? {})
    .map(([k, v]) => ` ${k}=${fieldValue(v)}`)
    .join("");
  return printable(`${l.message}${fields}`);
}

/** Numbers and simple words as they are; anything else (spaces, quotes, `=`, objects) as JSON, so pairs stay parseable. */
function fieldValue(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "string" && /^[^\s"=]+$/.test(v)) return v;
  return JSON.stringify(v) ?? String(v);
}

/** `--json`: one object per line, with the same keys in the same order for every line (times in epoch ms). */
export function jsonLine(l: LogLine): string {
  return safeJson({
    id: l.id ?? null,
    ts: l.ts,
    level: l.level,
    message: l.message,
    fields: l.fields ?? null,
    activationId: l.activationId,
    function: l.function,
    version: l.version,
    env: l.env,
    traceId: l.traceId ?? "",
    correlationId: l.correlationId ?? "",
  });
}
