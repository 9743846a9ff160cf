// `pave kv ls|get|put|rm`: look at and fix what functions keep in a kv namespace. Values are bytes: `get` writes
// them to stdout as they are, `put` takes them from an argument or from stdin.
import { type Command, InvalidArgumentError, Option } from "commander";
import { clientFrom, optsOf } from "./client.ts";
import { envOption, limitOption } from "./options.ts";
import { formatDuration, formatTime, printJson, table } from "./output.ts";
import { printable } from "./safe-text.ts";
import { readInput } from "./stdin.ts";

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** `90`, `90s`, `30m`, `1h`, `7d` → seconds. */
export function parseTtl(value: string): number {
  const m = value.match(/^(\d+)([smhd]?)$/);
  const seconds = m ? Number(m[1]) * UNIT_SECONDS[(m[2] || "s") as keyof typeof UNIT_SECONDS] : 0;
  if (!m || seconds < 1) throw new InvalidArgumentError("Expected a duration like 90s, 30m, 1h or 7d.");
  return seconds;
}

function expiry(expiresAt: number | null): string {
  if (expiresAt === null) return "never";
  const left = expiresAt - Date.now();
  return left <= 0 ? "now" : `${formatTime(expiresAt)} (in ${formatDuration(left)})`;
}

export function registerKv(program: Command): void {
  const kv = program.command("kv").description("list, read, write and delete kv entries");

  kv.command("ls")
    .description("list a namespace's keys in byte order")
    .argument("<namespace>", "kv namespace")
    .option("--prefix <prefix>", "only keys starting with this text")
    .option("--cursor <key>", "start after this key (the cursor printed by the previous page)")
    .addOption(limitOption(1000, "keys").default(100))
    .addOption(envOption())
    .action(async (namespace: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ prefix?: string; cursor?: string; limit: number; env: string }>(cmd);
      const out = await clientFrom(opts).listKvKeys(namespace, {
        env: opts.env,
        limit: opts.limit,
        ...(opts.prefix !== undefined && { prefix: opts.prefix }),
        ...(opts.cursor !== undefined && { cursor: opts.cursor }),
      });
      if (opts.json) return printJson(out);
      if (out.keys.length === 0) {
        process.stdout.write(`no keys${opts.prefix ? ` starting with ${opts.prefix}` : ""} in ${namespace}\n`);
        return;
      }
      // Keys are a function's own text: shown, never obeyed by the terminal.
      const rows = out.keys.map((k) => [printable(k.name), expiry(k.expiresAt)]);
      process.stdout.write(`${table(rows, ["KEY", "EXPIRES"])}\n`);
      if (out.cursor !== null) {
        process.stderr.write(`more keys: pave kv ls ${namespace} --cursor ${JSON.stringify(out.cursor)}\n`);
      }
    });

  kv.command("get")
    .description("write a value's bytes to stdout")
    .argument("<namespace>", "kv namespace")
    .argument("<key>", "key")
    .addOption(envOption())
    .action(async (namespace: string, key: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string }>(cmd);
      const out = await clientFrom(opts).getKvValue(namespace, key, opts.env);
      if (opts.json) {
        const value = Buffer.from(out.value).toString("base64");
        return printJson({
          namespace,
          key,
          env: opts.env,
          bytes: out.value.byteLength,
          expiresAt: out.expiresAt,
          value,
          encoding: "base64",
        });
      }
      process.stdout.write(out.value);
    });

  kv.command("put")
    .description("write a value from VALUE, or from stdin when VALUE is left out")
    .argument("<namespace>", "kv namespace")
    .argument("<key>", "key")
    .argument("[value]", "the value as text (default: the bytes on stdin)")
    .addOption(new Option("--ttl <duration>", "expire after this long: 90s, 30m, 1h, 7d").argParser(parseTtl))
    .addOption(envOption())
    .action(async (namespace: string, key: string, value: string | undefined, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ ttl?: number; env: string }>(cmd);
      const bytes =
        value ??
        (await readInput(
          process.stdin,
          `give the value as an argument or pipe it in: \`pave kv put ${namespace} ${key} VALUE\` or \`pave kv put ${namespace} ${key} < file\``,
        ));
      const out = await clientFrom(opts).putKvValue(namespace, key, bytes, {
        env: opts.env,
        ...(opts.ttl !== undefined && { ttl: opts.ttl }),
      });
      if (opts.json) return printJson(out);
      const expires = out.expiresAt === null ? "" : `, expires ${expiry(out.expiresAt)}`;
      process.stdout.write(`wrote ${out.bytes} bytes to ${namespace}/${key} in ${out.env}${expires}\n`);
    });

  kv.command("rm")
    .description("delete an entry")
    .argument("<namespace>", "kv namespace")
    .argument("<key>", "key")
    .addOption(envOption())
    .action(async (namespace: string, key: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string }>(cmd);
      const out = await clientFrom(opts).deleteKvValue(namespace, key, opts.env);
      if (opts.json) return printJson(out);
      process.stdout.write(`deleted ${namespace}/${key} from ${out.env}\n`);
    });
}
