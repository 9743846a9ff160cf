// `pave deploy [DIR]`: bundles the function in DIR (pave.yaml + entry) locally, uploads it as a new version and
// moves the alias `live` to it; says so plainly when nothing changed.
import { resolve } from "node:path";
import type { Command } from "commander";
import { clientFrom, optsOf } from "./client.ts";
import { envOption } from "./options.ts";
import { printJson } from "./output.ts";

export function registerDeploy(program: Command): void {
  program
    .command("deploy")
    .description("bundle, validate and deploy the function in DIR, and make it live")
    .argument("[dir]", "function directory (holds pave.yaml)", ".")
    .addOption(envOption())
    .action(async (dir: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string }>(cmd);
      const out = await clientFrom(opts).deploy(resolve(dir), opts.env);
      if (opts.json) return printJson(out);
      if (!out.changed) {
        process.stdout.write(`${out.function} is unchanged: version ${out.version.id} is already ${out.alias}\n`);
        return;
      }
      const lines = [`deployed ${out.function} version ${out.version.id} (v${out.version.seq}) → ${out.alias}`];
      if (out.previous) lines.push(`previous: ${out.previous}`);
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
