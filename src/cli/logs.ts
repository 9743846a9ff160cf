// `pave logs FN`: a function's log lines, filtered by time, level, text or activation; `--follow` streams new
// lines until Ctrl-C, reconnecting (without gaps) when the connection drops.
import { type Command, Option } from "commander";
import type { LogFilter } from "../client/index.ts";
import { clientFrom, optsOf } from "./client.ts";
import { envOption, limitOption } from "./options.ts";
import { dim, formatTime, printJsonLine } from "./output.ts";

interface LogsOpts {
  follow?: boolean;
  since?: string;
  level?: string;
  grep?: string;
  activation?: string;
  limit?: number;
  env: string;
}

interface Line {
  activationId: string;
  ts: number;
  level: string;
  message: string;
}

export function registerLogs(program: Command): void {
  program
    .command("logs")
    .description("show a function's log lines (--follow to stream them)")
    .argument("<fn>", "function name")
    .option("-f, --follow", "keep streaming new lines until Ctrl-C")
    .option("--since <when>", "only lines since a duration ago (30s, 15m, 1h, 2d) or a date")
    .addOption(
      new Option("--level <level>", "only lines at this level or above").choices(["debug", "info", "warn", "error"]),
    )
    .option("--grep <text>", "only lines containing this text")
    .option("--activation <id>", "only this activation's lines")
    .addOption(limitOption(1000, "lines"))
    .addOption(envOption())
    .action(async (fn: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<LogsOpts>(cmd);
      const client = clientFrom(opts);
      const print = opts.json ? printJsonLine : (l: Line) => process.stdout.write(`${formatLine(l)}\n`);
      const q: LogFilter = {
        env: opts.env,
        function: fn,
        ...(opts.since && { since: opts.since }),
        ...(opts.level && { level: opts.level }),
        ...(opts.grep && { grep: opts.grep }),
        ...(opts.activation && { activation: opts.activation }),
        ...(opts.limit && { limit: opts.limit }),
      };
      if (!opts.follow) {
        for (const line of (await client.logs(q)).logs) print(line);
        return;
      }
      const stop = new AbortController();
      process.once("SIGINT", () => stop.abort());
      // One notice per outage, not one per retry: a line arriving means the connection is back.
      let lost = false;
      const onLine = (l: Line) => {
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
 * `2026-11-25 14:03:05.123 INFO  1a2b3c4d message`. The short id is the activation id's last 8 characters:
 * ids are UUIDv7, whose first 8 are a timestamp shared by every activation within the same minute.
 */
export function formatLine(l: Line): string {
  return `${formatTime(l.ts)} ${l.level.toUpperCase().padEnd(5)} ${l.activationId.slice(-8)} ${l.message}`;
}
