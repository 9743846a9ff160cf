// `pave ls` and `pave rm FN`: the functions of an environment, and removing one (its activations and logs
// stay).
import type { Command } from "commander";
import { clientFrom, optsOf } from "./client.ts";
import { envOption } from "./options.ts";
import { ago, formatDuration, formatMemory, printJson, table } from "./output.ts";

export function registerFunctions(program: Command): void {
  program
    .command("ls")
    .description("list the functions of an environment")
    .addOption(envOption())
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string }>(cmd);
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
