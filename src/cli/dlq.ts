// `pave dlq FN`, `pave dlq replay FN [ID…]`, `pave dlq purge FN`: a function's dead letters — the events that
// failed every retry, with their last error — listed, delivered again, or cleared.
import type { Command } from "commander";
import { clientFrom, optsOf } from "./client.ts";
import { UsageError } from "./errors.ts";
import { envOption, limitOption } from "./options.ts";
import { ago, printJson, table } from "./output.ts";
import { printable } from "./safe-text.ts";

export function registerDlq(program: Command): void {
  program
    .command("dlq")
    .description("list a function's dead letters; `dlq replay FN [ID…]` re-delivers, `dlq purge FN` clears")
    .argument("<fn-or-action>", "a function name, or replay / purge followed by one")
    .argument("[args...]", "for replay: the function, then event ids (all dead letters when none)")
    .addOption(envOption())
    .addOption(limitOption(1000, "dead letters"))
    .action(async (first: string, args: string[], _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string; limit?: number }>(cmd);
      const client = clientFrom(opts);
      if (first === "replay" || first === "purge") {
        const [fn, ...ids] = args;
        if (!fn) throw new UsageError(`name the function: pave dlq ${first} FN`);
        if (first === "purge") {
          if (ids.length > 0) throw new UsageError("purge clears all of a function's dead letters; it takes no ids");
          const out = await client.purgeDeadLetters(fn, opts.env);
          if (opts.json) return printJson(out);
          process.stdout.write(`purged ${out.purged} dead letter(s) of ${fn}\n`);
          return;
        }
        const out = await client.replayDeadLetters(fn, ids, opts.env);
        if (opts.json) return printJson(out);
        process.stdout.write(`replaying ${out.replayed} dead letter(s) of ${fn}; follow one with \`pave event ID\`\n`);
        return;
      }
      if (args.length > 0) throw new UsageError(`unexpected ${args.join(" ")}; did you mean pave dlq replay ${first}?`);
      const out = await client.listDeadLetters(first, opts.env, opts.limit);
      if (opts.json) return printJson(out);
      if (out.deadLetters.length === 0) {
        process.stdout.write(`no dead letters for ${first} in ${opts.env}\n`);
        return;
      }
      const rows = out.deadLetters.map((d) => [
        d.eventId,
        d.topic,
        String(d.attempts),
        ago(d.failedAt),
        printable((d.lastError ?? "").split("\n")[0] ?? ""),
      ]);
      process.stdout.write(`${table(rows, ["EVENT", "TOPIC", "ATTEMPTS", "FAILED", "LAST ERROR"])}\n`);
    });
}
