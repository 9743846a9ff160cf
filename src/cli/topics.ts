// `pave topic create|ls`: the topics functions publish to and subscribe to.
import type { Command } from "commander";
import { clientFrom, optsOf } from "./client.ts";
import { envOption } from "./options.ts";
import { ago, printJson, table } from "./output.ts";

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
      const rows = out.topics.map((t) => [t.name, ago(t.createdAt)]);
      process.stdout.write(`${table(rows, ["NAME", "CREATED"])}\n`);
    });
}
