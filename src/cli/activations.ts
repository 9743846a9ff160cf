// `pave activations [FN]` lists invocation records, newest first; `pave activation ID` shows one in full with
// its log lines.
import { type Command, Option } from "commander";
import { TRIGGERS } from "../client/index.ts";
import { clientFrom, optsOf } from "./client.ts";
import { formatMessage } from "./logs.ts";
import { envOption, limitOption } from "./options.ts";
import { formatClock, formatDuration, formatMemory, formatTime, printJson, table } from "./output.ts";
import { printable } from "./safe-text.ts";

export function registerActivations(program: Command): void {
  program
    .command("activations")
    .description("list recent activations, newest first")
    .argument("[fn]", "only this function's")
    .addOption(new Option("--status <status>", "only successes or only errors").choices(["success", "error"]))
    .option("--version <id>", "only this version's")
    .addOption(new Option("--trigger <trigger>", "only those started this way").choices(TRIGGERS))
    .option("--since <when>", "only those started since a duration ago (30s, 15m, 1h, 2d) or a date")
    .option("--until <when>", "only those started before a duration ago or a date")
    .option("--trace <id>", "only those in this W3C trace")
    .option("--correlation <id>", "only those with this correlation id")
    .addOption(limitOption(1000, "activations").default(20))
    .addOption(envOption())
    .action(async (fn: string | undefined, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{
        status?: string;
        version?: string;
        trigger?: string;
        since?: string;
        until?: string;
        trace?: string;
        correlation?: string;
        limit: number;
        env: string;
      }>(cmd);
      const { status, version, trigger, since, until, trace, correlation } = opts;
      const filters = { status, version, trigger, since, until, trace, correlation };
      const q = {
        env: opts.env,
        limit: opts.limit,
        ...(fn && { function: fn }),
        ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)),
      };
      const out = await clientFrom(opts).listActivations(q);
      if (opts.json) return printJson(out);
      if (out.activations.length === 0) {
        const which = opts.status ? `${opts.status} activations` : "activations";
        const filtered = Object.keys(q).length > (fn ? 3 : 2) ? " matching the filters" : "";
        process.stdout.write(`no ${which}${fn ? ` of ${fn}` : ""}${filtered} in ${opts.env}\n`);
        return;
      }
      const rows = out.activations.map((a) => [
        a.id,
        a.function,
        a.version,
        a.status === "error" ? (a.errorCode ?? "error") : a.status,
        a.cold ? "cold" : "warm",
        formatDuration(a.durationMs),
        formatDuration(a.billedMs),
        formatTime(a.startedAt),
      ]);
      const headers = ["ID", "FUNCTION", "VERSION", "STATUS", "COLD", "DURATION", "BILLED", "STARTED"];
      process.stdout.write(`${table(rows, headers)}\n`);
    });

  program
    .command("activation")
    .description("show one activation with its logs")
    .argument("<id>", "activation id")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf(cmd);
      const out = await clientFrom(opts).getActivation(id);
      if (opts.json) return printJson(out);
      const a = out.activation;
      const status =
        a.status === "error"
          ? `error ${a.errorCode ?? ""}${a.errorMessage ? `: ${printable(a.errorMessage)}` : ""}`
          : a.status;
      const fields: [string, string][] = [
        ["id", a.id],
        ["function", `${a.function} (${a.env})`],
        ["version", a.version],
        ["trigger", a.httpStatus == null ? a.trigger : `${a.trigger} (HTTP ${a.httpStatus})`],
        ["status", status],
        ["started", formatTime(a.startedAt)],
        ["duration", formatDuration(a.durationMs)],
        ["cpu", a.cpuMs === null ? "(shared with queued invocations)" : formatDuration(a.cpuMs)],
        ["billed", `${a.billedMs}ms · ${a.gbSeconds.toPrecision(3)} GB-s`],
        ["memory limit", formatMemory(a.memoryMb)],
        ["cold start", a.cold ? "yes" : "no"],
        ["trace id", a.traceId],
        ["correlation id", a.correlationId],
      ];
      const lines = fields.map(([k, v]) => `${`${k}:`.padEnd(16)}${v}`);
      if (a.egress.length > 0) lines.push("egress:");
      for (const e of a.egress) {
        const outcome = e.error ?? String(e.status);
        lines.push(
          `  ${e.method} ${e.host} → ${outcome}  ${formatDuration(e.durationMs)}  ${e.bytesOut} B out, ${e.bytesIn} B in`,
        );
      }
      lines.push(a.logs.length === 0 && a.logsDropped === 0 ? "logs:           (none)" : "logs:");
      // The function's own words, escaped like `pave logs` shows them (see formatLine).
      for (const l of a.logs)
        lines.push(`  ${formatClock(l.ts)} ${l.level.toUpperCase().padEnd(5)} ${formatMessage(l)}`);
      if (a.logsDropped > 0) lines.push(`  (${a.logsDropped} lines dropped)`);
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
