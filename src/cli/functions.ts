// `pave ls` (with `--stale 30d`: the retire candidates) and `pave rm FN`: the functions of an environment, and
// removing one (its activations and logs stay).
import type { Command } from "commander";
import { clientFrom, type GlobalOpts, optsOf } from "./client.ts";
import { envOption, parseDuration } from "./options.ts";
import { ago, formatDuration, formatMemory, formatUsd, printJson, table } from "./output.ts";

/** Checked here so a typo is a usage error; sent as typed, so the server reads the same text. */
function staleText(value: string): string {
  parseDuration(value);
  return value;
}

/** `pave ls --stale 30d`: retire candidates, least recently invoked first. */
async function listStale(opts: GlobalOpts & { env: string; stale: string }): Promise<void> {
  const out = await clientFrom(opts).listStaleFunctions(opts.stale, opts.env);
  if (opts.json) return printJson(out);
  if (out.functions.length === 0) {
    process.stdout.write(
      `no stale functions in ${opts.env}: each was invoked in the last ${opts.stale} or deployed since\n`,
    );
    return;
  }
  const rows = out.functions.map((f) => [
    f.name,
    f.version ?? "-",
    f.deployedAt === null ? "-" : ago(f.deployedAt),
    f.lastInvokedAt === null ? "not within retention" : ago(f.lastInvokedAt),
    String(f.minInstances),
    formatUsd(f.cost),
  ]);
  process.stdout.write(
    `${table(rows, ["NAME", "VERSION", "DEPLOYED", "LAST INVOKED", "WARM", `COST (${opts.stale})`])}\n`,
  );
}

export function registerFunctions(program: Command): void {
  program
    .command("ls")
    .description("list the functions of an environment")
    .addOption(envOption())
    .option(
      "--stale <window>",
      "only functions deployed before and not invoked in the last window, e.g. 30d",
      staleText,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string; stale?: string }>(cmd);
      if (opts.stale !== undefined) return listStale(opts as typeof opts & { stale: string });
      const out = await clientFrom(opts).listFunctions(opts.env);
      if (opts.json) return printJson(out);
      if (out.functions.length === 0) {
        process.stdout.write(`no functions in ${opts.env} yet; deploy one with \`pave deploy DIR\`\n`);
        return;
      }
      const rows = out.functions.map((f) => [
        f.name,
        f.version ?? "-",
        formatMemory(f.memory),
        f.timeout == null ? "-" : formatDuration(f.timeout),
        ago(f.updatedAt),
        f.throttled ? `throttled: over budget (rule ${f.throttled.rule})` : "ok",
      ]);
      process.stdout.write(`${table(rows, ["NAME", "VERSION", "MEMORY", "TIMEOUT", "UPDATED", "STATUS"])}\n`);
    });

  program
    .command("rm")
    .description("remove a function with its versions (activations and logs stay)")
    .argument("<fn>", "function name")
    .addOption(envOption())
    .action(async (fn: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string }>(cmd);
      const out = await clientFrom(opts).deleteFunction(fn, opts.env);
      if (opts.json) return printJson(out);
      process.stdout.write(`removed ${out.name}\n`);
    });
}
