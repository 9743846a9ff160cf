// `pave secret set|ls|rm`: secrets of an environment. The value of `set` comes only from stdin, so it never lands
// in shell history or the process list; nothing prints a value back.
import type { Command } from "commander";
import { clientFrom, optsOf } from "./client.ts";
import { UsageError } from "./errors.ts";
import { envOption } from "./options.ts";
import { ago, printJson, table } from "./output.ts";
import { readInput, textValue } from "./stdin.ts";

const PIPE_IT = (name: string) =>
  `pave secret set reads the value from stdin, so it stays out of your shell history; pipe it in: ` +
  `\`printf %s "$VALUE" | pave secret set ${name}\` or \`pave secret set ${name} < file\``;

export function registerSecrets(program: Command): void {
  const secret = program
    .command("secret")
    .description("set, list and remove secrets (values are sealed on the server)");

  secret
    .command("set")
    .description("set a secret from stdin (one trailing newline is dropped)")
    .argument("<name>", "UPPER_SNAKE_CASE name, as listed under bindings.secrets in pave.yaml")
    .addOption(envOption())
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string }>(cmd);
      const value = textValue(await readInput(process.stdin, PIPE_IT(name)), "the secret value");
      if (value === "") throw new UsageError(`the secret value on stdin is empty; ${PIPE_IT(name)}`);
      const out = await clientFrom(opts).setSecret(name, value, opts.env);
      if (opts.json) return printJson(out);
      process.stdout.write(`${out.created ? "set" : "replaced"} secret ${out.name} in ${out.env}\n`);
    });

  secret
    .command("ls")
    .description("list secret names (never their values)")
    .addOption(envOption())
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string }>(cmd);
      const out = await clientFrom(opts).listSecrets(opts.env);
      if (opts.json) return printJson(out);
      if (out.secrets.length === 0) {
        process.stdout.write(`no secrets in ${opts.env}; set one with \`printf %s "$VALUE" | pave secret set NAME\`\n`);
        return;
      }
      const rows = out.secrets.map((s) => [s.name, ago(s.createdAt), ago(s.updatedAt)]);
      process.stdout.write(`${table(rows, ["NAME", "CREATED", "UPDATED"])}\n`);
    });

  secret
    .command("rm")
    .description("remove a secret")
    .argument("<name>", "secret name")
    .addOption(envOption())
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string }>(cmd);
      const out = await clientFrom(opts).deleteSecret(name, opts.env);
      if (opts.json) return printJson(out);
      process.stdout.write(`removed secret ${out.name} from ${out.env}\n`);
    });
}
