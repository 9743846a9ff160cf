// `pave top`: a live view of every function — requests/s, error %, p50/p99, cold %, cost per hour — redrawn in place
// on a terminal, once (a table or --json) otherwise. It polls the metrics summary and rides out server restarts.
import { type Command, InvalidArgumentError, Option } from "commander";
import { ApiError, type MetricsSummary, type PaveClient } from "../client/index.ts";
import { clientFrom, optsOf } from "./client.ts";
import { envOption, parseDuration } from "./options.ts";
import { dim, formatClock, formatDuration, formatUsd, printJson, table } from "./output.ts";

/** Cursor home, then clear to the end of the screen after the frame: redrawing in place without a blank flash. */
const HOME = "\x1b[H";
const CLEAR_LINE = "\x1b[K";
const CLEAR_BELOW = "\x1b[J";
const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";
const CLEAR_SCREEN = "\x1b[2J";

interface TopOpts {
  env: string;
  interval: number;
  window: string;
  once?: boolean;
}

export function registerTop(program: Command): void {
  program
    .command("top")
    .description("live per-function view: requests/s, error %, p50, p99, cold %, cost per hour (Ctrl-C to quit)")
    .addOption(envOption())
    .addOption(
      new Option("--interval <duration>", "how often to redraw, e.g. 1s or 5s").default(2000, "2s").argParser((v) => {
        const ms = parseDuration(v);
        if (ms < 200) throw new InvalidArgumentError("Expected an interval of at least 200ms.");
        return ms;
      }),
    )
    .addOption(
      new Option("--window <minutes>", "the whole minutes figures cover, plus the current one (1m … 60m)")
        .default("1m")
        .argParser((v) => {
          const m = /^(\d+)m$/.exec(v);
          if (!m || Number(m[1]) < 1 || Number(m[1]) > 60) throw new InvalidArgumentError("Expected 1m to 60m.");
          return v;
        }),
    )
    .option("--once", "print one table and exit (the default when stdout is not a terminal)")
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = optsOf<TopOpts>(cmd);
      const client = clientFrom(opts);
      const query = { env: opts.env, window: opts.window };
      if (opts.json) return printJson(await client.metricsSummary(query));
      if (opts.once || !process.stdout.isTTY) {
        process.stdout.write(`${renderTop(await client.metricsSummary(query), { color: false }).join("\n")}\n`);
        return;
      }
      const stop = new AbortController();
      process.once("SIGINT", () => stop.abort());
      process.once("SIGTERM", () => stop.abort());
      // Whatever ends the process, the terminal gets its cursor back.
      process.once("exit", () => process.stdout.write(SHOW_CURSOR));
      process.stdout.write(HIDE_CURSOR + CLEAR_SCREEN);
      try {
        await watchTop(client, query, opts.interval, (frame) => process.stdout.write(frame), stop.signal);
      } finally {
        process.stdout.write(`${SHOW_CURSOR}\n`);
      }
    });
}

/**
 * Polls the summary every `intervalMs` and hands each frame (cursor home, lines, clear below) to `write`, until
 * `signal` aborts. An unreachable or not-ready server keeps the last figures on screen under a "reconnecting…" line;
 * an answer the server gave on purpose (a bad token, an unknown option) ends the watch with that error.
 */
export async function watchTop(
  client: PaveClient,
  query: { env: string; window: string },
  intervalMs: number,
  write: (frame: string) => void,
  signal: AbortSignal,
): Promise<void> {
  let last: string[] = [];
  while (!signal.aborted) {
    let status = "";
    try {
      last = renderTop(await client.metricsSummary(query), { color: true });
    } catch (err) {
      if (!(err instanceof ApiError) || (err.status !== 0 && err.status < 500)) throw err;
      status = dim(`reconnecting… (${err.code}: ${err.message.split(";")[0]})`, process.stdout);
    }
    if (signal.aborted) return;
    const lines = status ? [...last, "", status] : last;
    write(`${HOME}${lines.map((l) => l + CLEAR_LINE).join("\n")}\n${CLEAR_BELOW}`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      signal.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
}

/** A summary as the lines of one screen: a heading, then one row per function, busiest first. */
export function renderTop(s: MetricsSummary, opts: { color: boolean }): string[] {
  const seconds = Math.round((s.until - s.since) / 1000);
  const heading = `pave top · ${s.env} · ${formatClock(s.until).slice(0, 8)} · last ${seconds}s`;
  if (s.functions.length === 0) return [heading, "no functions deployed"];
  const ms = (v: number | null) => (v === null ? "-" : formatDuration(v));
  const rows = s.functions.map((f) => [
    f.function,
    rate(f.requestsPerSecond),
    f.count === 0 ? "-" : percent(f.errorRate),
    ms(f.p50),
    ms(f.p99),
    f.count === 0 ? "-" : percent(f.coldRate),
    formatUsd(f.costPerHour),
  ]);
  return [
    heading,
    "",
    ...table(rows, ["FUNCTION", "REQ/S", "ERR%", "P50", "P99", "COLD%", "COST/H"], opts.color).split("\n"),
  ];
}

function rate(perSecond: number): string {
  if (perSecond === 0) return "0";
  return perSecond >= 100 ? perSecond.toFixed(0) : perSecond >= 1 ? perSecond.toFixed(1) : perSecond.toFixed(3);
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
