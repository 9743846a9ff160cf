// `pave schedules`: the scheduled functions of an environment, with when each fires next and how its last run went.
import type { Command } from "commander";
import { clientFrom, optsOf } from "./client.ts";
import { envOption } from "./options.ts";
import { ago, formatTime, printJson, table } from "./output.ts";

export function registerSchedules(program: Command): void {
  program
    .command("schedules")
    .description("list scheduled functions: cron, time zone, next fire, last fire and its status")
    .addOption(envOption())
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string }>(cmd);
      const out = await clientFrom(opts).listSchedules(opts.env);
      if (opts.json) return printJson(out);
      if (out.schedules.length === 0) {
        process.stdout.write(`no schedules in ${opts.env}; add \`schedule:\` to a function's pave.yaml\n`);
        return;
      }
      const rows = out.schedules.map((s) => [
        s.function,
        s.cron,
        s.timezone,
        s.nextFireAt === null ? "never" : formatTime(s.nextFireAt),
        s.lastFiredAt === null ? "-" : ago(s.lastFiredAt),
        s.lastStatus ?? "-",
      ]);
      process.stdout.write(`${table(rows, ["FUNCTION", "CRON", "TIMEZONE", "NEXT", "LAST", "STATUS"])}\n`);
    });
}
