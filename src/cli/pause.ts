// `pave pause FN` / `pave resume FN`: the kill switch. A paused function runs nothing — its HTTP requests get
// FunctionPaused — while its topic events and async invocations wait, to be delivered on resume.
import type { Command } from "commander";
import { clientFrom, optsOf } from "./client.ts";
import { envOption } from "./options.ts";
import { printJson } from "./output.ts";

export function registerPause(program: Command): void {
  for (const paused of [true, false]) {
    program
      .command(paused ? "pause" : "resume")
      .description(
        paused
          ? "pause a function (kill switch): it runs nothing; its events wait, none are lost"
          : "resume a paused function: it runs again and its waiting events are delivered",
      )
      .argument("<fn>", "function name")
      .addOption(envOption())
      .action(async (fn: string, _opts: unknown, cmd: Command) => {
        const opts = optsOf<{ env: string }>(cmd);
        const out = await clientFrom(opts).setPaused(fn, paused, opts.env);
        if (opts.json) return printJson(out);
        const state = paused ? "paused" : "resumed";
        process.stdout.write(out.changed ? `${state} ${fn} in ${opts.env}\n` : `${fn} was already ${state}\n`);
      });
  }
}
