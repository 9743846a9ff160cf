// `pave token create|ls|revoke`: bearer tokens with a role, environment scopes and an expiry. A new token's
// secret is printed once, alone on stdout, so it can be captured; the warning that it is not shown again goes to stderr.
import { type Command, InvalidArgumentError, Option } from "commander";
import type { TokenInfo } from "../client/index.ts";
import { clientFrom, optsOf } from "./client.ts";
import { parseDuration } from "./options.ts";
import { ago, formatTime, printJson, table } from "./output.ts";

const ROLES = ["viewer", "developer", "operator", "admin"];

/** `--env a --env b,c` → [a, b, c]. */
function collectEnvs(value: string, previous: string[] = []): string[] {
  const envs = value.split(",").map((e) => e.trim());
  if (envs.some((e) => e === "")) throw new InvalidArgumentError("Expected environment names, e.g. staging or *.");
  return [...previous, ...envs];
}

/** Checked here so a typo is a usage error; sent as typed, so the server reads the same text. */
function ttlText(value: string): string {
  parseDuration(value);
  return value;
}

const scopes = (envs: string[]) => (envs.includes("*") ? "* (all)" : envs.join(","));
const expiry = (t: TokenInfo) => (t.expiresAt === null ? "never" : formatTime(t.expiresAt));

export function registerTokens(program: Command): void {
  const token = program.command("token").description("create, list and revoke access tokens (admin)");

  token
    .command("create")
    .description("create a token and print its secret (shown only this once)")
    .addOption(new Option("--role <role>", "what it may do (see docs/access.md)").choices(ROLES).makeOptionMandatory())
    .option(
      "--env <env>",
      "an environment it may act on, repeatable or comma-separated; * for all (default: this token's own)",
      collectEnvs,
    )
    .option("--ttl <duration>", "expire after a duration like 30s, 15m, 12h or 30d (default: never)", ttlText)
    .option("--name <name>", "who or what holds it, e.g. ci-staging (default: the role)")
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = optsOf<{ role: string; env?: string[]; ttl?: string; name?: string }>(cmd);
      const out = await clientFrom(opts).createToken({
        role: opts.role,
        ...(opts.env && { envs: opts.env }),
        ...(opts.ttl && { ttl: opts.ttl }),
        ...(opts.name && { name: opts.name }),
      });
      if (opts.json) return printJson(out);
      process.stderr.write(
        `created token ${out.name} (${out.id}): ${out.role} on ${scopes(out.envs)}, expires ${expiry(out)}\n` +
          "its secret follows; it is not shown again, so store it now (use it as PAVE_TOKEN):\n",
      );
      process.stdout.write(`${out.token}\n`);
    });

  token
    .command("ls")
    .description("list tokens with their role, scopes and state (never their secrets)")
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = optsOf<object>(cmd);
      const out = await clientFrom(opts).listTokens();
      if (opts.json) return printJson(out);
      const rows = out.tokens.map((t) => [
        t.id,
        t.name,
        t.role,
        scopes(t.envs),
        ago(t.createdAt),
        expiry(t),
        `${t.state === "revoked" && t.revokedAt !== null ? `revoked ${ago(t.revokedAt)}` : t.state}${t.self ? " (this token)" : ""}`,
      ]);
      process.stdout.write(`${table(rows, ["ID", "NAME", "ROLE", "ENVS", "CREATED", "EXPIRES", "STATE"])}\n`);
    });

  token
    .command("revoke")
    .description("revoke a token: it stops working at once (within 10s on other nodes)")
    .argument("<id>", "the token's id, from `pave token ls`")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<object>(cmd);
      const out = await clientFrom(opts).revokeToken(id);
      if (opts.json) return printJson(out);
      process.stdout.write(`revoked token ${out.name} (${out.id})\n`);
    });
}
