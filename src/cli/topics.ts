// `pave topic create|ls`: the topics functions publish to and subscribe to, with each subscription's backlog.
import type { Command } from "commander";
import { clientFrom, optsOf } from "./client.ts";
import { envOption } from "./options.ts";
import { ago, formatDuration, printJson, table } from "./output.ts";

export function registerTopics(program: Command): void {
  const topic = program.command("topic").description("create and list topics");

  topic
    .command("create")
    .description("create a topic (nothing changes when it exists)")
    .argument("<name>", "lowercase name, as in bindings.topics of pave.yaml")
    .addOption(envOption())
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string }>(cmd);
      const out = await clientFrom(opts).createTopic(name, opts.env);
      if (opts.json) return printJson(out);
      process.stdout.write(
        out.created ? `created topic ${name} in ${opts.env}\n` : `topic ${name} already exists in ${opts.env}\n`,
      );
    });

  topic
    .command("ls")
    .description("list topics")
    .addOption(envOption())
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string }>(cmd);
      const out = await clientFrom(opts).listTopics(opts.env);
      if (opts.json) return printJson(out);
      if (out.topics.length === 0) {
        process.stdout.write(`no topics in ${opts.env}; create one with \`pave topic create NAME\`\n`);
        return;
      }
      // One line per subscription (a topic without any gets one line of its own): where the backlog is.
      const rows = out.topics.flatMap((t) =>
        t.subscriptions.length === 0
          ? [[t.name, ago(t.createdAt), "-", "-", "-", "-"]]
          : t.subscriptions.map((s) => [
              t.name,
              ago(t.createdAt),
              s.function,
              String(s.depth),
              s.depth === 0 ? "-" : formatDuration(s.oldestAgeSeconds * 1000),
              String(s.dead),
            ]),
      );
      process.stdout.write(`${table(rows, ["NAME", "CREATED", "SUBSCRIBER", "DEPTH", "OLDEST", "DEAD"])}\n`);
    });
}
