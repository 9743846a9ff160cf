// `pave env create|ls|rm`: environments — isolated namespaces of functions, aliases, data and secrets. A copy
// (`--from`) takes function versions and config, never data or secrets: it names the secrets still to set.
import type { Command } from "commander";
import type { CreateEnvironmentAnswer, EnvironmentContents } from "../client/index.ts";
import { clientFrom, optsOf } from "./client.ts";
import { parseDuration } from "./options.ts";
import { ago, formatTime, formatUsd, printJson, table } from "./output.ts";

/** Checked here so a typo is a usage error; sent as typed, so the server reads the same text. */
function ttlText(value: string): string {
  parseDuration(value);
  return value;
}

/** `2 functions, 3 kvEntries` → plain words, or `empty`. */
function held(c: EnvironmentContents): string {
  const words: Record<keyof EnvironmentContents, string> = {
    functions: "functions",
    kvEntries: "kv entries",
    secrets: "secrets",
    topics: "topics",
    schedules: "schedules",
  };
  const parts = Object.entries(c)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${words[k as keyof EnvironmentContents]}`);
  return parts.length === 0 ? "empty" : parts.join(", ");
}

function createdText(out: CreateEnvironmentAnswer): string {
  const e = out.environment;
  const lines = [
    `created environment ${e.name}${e.from ? ` from ${e.from}` : ""}${e.expiresAt === null ? "" : `, expires ${formatTime(e.expiresAt)}`}`,
  ];
  if (e.from) {
    const c = out.copied;
    lines.push(
      `copied ${c.functions} functions (${c.versions} versions, ${c.aliases} aliases), ${c.schedules} schedules, ${c.topics} topics; kv data and secrets are not copied`,
    );
  }
  for (const s of out.missingSecrets) {
    lines.push(
      `missing secret ${s.name} (needed by ${s.functions.join(", ")}): pave secret set ${s.name} --env ${e.name}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export function registerEnvironments(program: Command): void {
  const env = program.command("env").description("create, list and remove environments");

  env
    .command("create")
    .description("create an environment, empty or as a copy of another's function versions and config")
    .argument("<name>", "a lowercase name, e.g. staging or pr-42")
    .option("--from <env>", "copy function versions, live aliases, schedules and topics from this environment")
    .option("--ttl <duration>", "tear it down automatically after a duration like 72h or 7d", ttlText)
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ from?: string; ttl?: string }>(cmd);
      const out = await clientFrom(opts).createEnvironment({
        name,
        ...(opts.from && { from: opts.from }),
        ...(opts.ttl && { ttl: opts.ttl }),
      });
      if (opts.json) return printJson(out);
      process.stdout.write(createdText(out));
    });

  env
    .command("ls")
    .description("list environments with their origin, expiry, functions, last invocation and cost this month")
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = optsOf<object>(cmd);
      const out = await clientFrom(opts).listEnvironments();
      if (opts.json) return printJson(out);
      const rows = out.environments.map((e) => [
        e.name,
        ago(e.createdAt),
        e.from ?? "-",
        e.expiresAt === null ? "never" : formatTime(e.expiresAt),
        String(e.contents.functions),
        e.lastInvocationAt === null ? "-" : ago(e.lastInvocationAt),
        formatUsd(e.costMonthToDate),
      ]);
      process.stdout.write(
        `${table(rows, ["NAME", "CREATED", "FROM", "EXPIRES", "FUNCTIONS", "LAST INVOKED", "COST (MONTH)"])}\n`,
      );
    });

  env
    .command("rm")
    .description("remove an environment with everything in it (never prod)")
    .argument("<name>", "the environment")
    .option("--force", "also when it still holds functions, kv data, secrets or topics (they are deleted)")
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ force?: boolean }>(cmd);
      const out = await clientFrom(opts).deleteEnvironment(name, { force: opts.force === true });
      if (opts.json) return printJson(out);
      process.stdout.write(`removed environment ${out.name} (${held(out.removed)})\n`);
    });
}
