// `pave cost`: what functions cost over a span, grouped by function, version, environment, trigger or a tag
// (`--by tag:feature` answers "what does the payments feature cost this week?"), with the biggest movers.
import type { Command } from "commander";
import { clientFrom, optsOf } from "./client.ts";
import { formatTime, printJson, table, formatUsd as usd } from "./output.ts";

export function registerCost(program: Command): void {
  program
    .command("cost")
    .description("what functions cost over a span (default: the last 7 days), and what changed most")
    .option("--by <grouping>", "function, version, env, trigger or tag:KEY", "function")
    .option("--since <when>", "start: a duration ago (1h, 7d) or a date", "7d")
    .option("--until <when>", "end: a duration ago or a date (default: now)")
    .option("--env <env>", "one environment (default: all)")
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = optsOf<{ by: string; since: string; until?: string; env?: string }>(cmd);
      const report = await clientFrom(opts).cost({
        by: opts.by,
        since: opts.since,
        ...(opts.until !== undefined && { until: opts.until }),
        ...(opts.env !== undefined && { env: opts.env }),
      });
      if (opts.json) return printJson(report);
      const span = `${formatTime(report.since)} → ${formatTime(report.until)}`;
      if (report.rows.length === 0) {
        process.stdout.write(`no invocations ${span}\n`);
        return;
      }
      const rows = report.rows.map((r) => [
        r.key,
        String(r.invocations),
        String(r.errors),
        r.gbSeconds.toFixed(3),
        usd(r.cost),
        usd(r.costPer1000),
      ]);
      rows.push(["TOTAL", "", "", "", usd(report.total), ""]);
      const headers = [opts.by.toUpperCase(), "INVOCATIONS", "ERRORS", "GB-S", "COST", "PER 1000"];
      const lines = [`cost by ${opts.by}, ${span}`, table(rows, headers)];
      lines.push(`previous span: ${usd(report.previousTotal)}`);
      if (report.movers.length > 0) {
        lines.push("movers:");
        for (const m of report.movers) {
          lines.push(
            `  ${m.key}  ${usd(m.previousCost)} → ${usd(m.cost)} (${m.change > 0 ? "+" : ""}${usd(m.change)})`,
          );
        }
      }
      const p = report.prices;
      lines.push(`prices: $${p.perGbSecond} per GB-second, $${p.perMillionRequests} per million requests`);
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
