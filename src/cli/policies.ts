// `pave policy show|set` and `pave approvals`, `pave approve ID`, `pave reject ID --reason`: an environment's guard
// rails as a YAML file, and the deployments they hold until someone else approves them.
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type { Command } from "commander";
import { clientFrom, optsOf } from "./client.ts";
import { envOption } from "./options.ts";
import { ago, printJson, table } from "./output.ts";

export function registerPolicies(program: Command): void {
  const policy = program.command("policy").description("show or set an environment's policy (guard rails as code)");

  policy
    .command("show")
    .description("print the policy in force (the default policy when none was set)")
    .addOption(envOption())
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string }>(cmd);
      const out = await clientFrom(opts).getPolicy(opts.env);
      if (opts.json) return printJson(out);
      const p = out.policy;
      const origin = p.isDefault
        ? `# the default policy (${p.env} has none of its own; set one with \`pave policy set FILE --env ${p.env}\`)`
        : `# ${p.env} policy v${p.version}, set by ${p.createdBy} ${ago(p.createdAt ?? 0)}`;
      process.stdout.write(`${origin}\n${p.yaml.endsWith("\n") ? p.yaml : `${p.yaml}\n`}`);
    });

  policy
    .command("set")
    .description("validate FILE and make it the environment's policy (admin); an invalid file changes nothing")
    .argument("<file>", "the policy file (YAML)")
    .addOption(envOption())
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string }>(cmd);
      const yaml = await readFile(file, "utf8");
      const out = await clientFrom(opts).setPolicy(yaml, opts.env, basename(file));
      if (opts.json) return printJson(out);
      const names = out.policy.rules.map((r) => r.name).join(", ") || "no rules";
      process.stdout.write(`${opts.env} policy is now v${out.policy.version}: ${names}\n`);
    });

  program
    .command("approvals")
    .description("list the deployments waiting for an approval")
    .addOption(envOption())
    .option("--status <status>", "pending, approved, rejected, expired, failed or all", "pending")
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string; status: string }>(cmd);
      const out = await clientFrom(opts).listApprovals({ env: opts.env, status: opts.status });
      if (opts.json) return printJson(out);
      if (out.approvals.length === 0) {
        process.stdout.write(`no ${opts.status === "all" ? "" : `${opts.status} `}deployments in ${opts.env}\n`);
        return;
      }
      const rows = out.approvals.map((a) => [
        a.id,
        a.function,
        a.requestedBy.name,
        a.requiredRole,
        a.rules.map((r) => r.name).join(","),
        ago(a.createdAt),
        a.status + (a.decidedBy ? ` by ${a.decidedBy.name}` : "") + (a.reason ? `: ${a.reason}` : ""),
      ]);
      process.stdout.write(`${table(rows, ["ID", "FUNCTION", "REQUESTED BY", "NEEDS", "RULES", "AGE", "STATUS"])}\n`);
    });

  program
    .command("approve")
    .description("approve a pending deployment (not your own) and deploy it as requested")
    .argument("<id>", "the pending deployment's id, from `pave approvals`")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<object>(cmd);
      const out = await clientFrom(opts).approve(id);
      if (opts.json) return printJson(out);
      const d = out.deploy;
      process.stdout.write(
        `approved ${id}: deployed ${d.function} version ${d.version.id} (v${d.version.seq}) → ${d.alias} on behalf of ${out.approval.requestedBy.name}\n`,
      );
    });

  program
    .command("reject")
    .description("reject a pending deployment, saying why")
    .argument("<id>", "the pending deployment's id, from `pave approvals`")
    .requiredOption("--reason <text>", "why, for the requester and the audit log")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ reason: string }>(cmd);
      const out = await clientFrom(opts).reject(id, opts.reason);
      if (opts.json) return printJson(out);
      process.stdout.write(
        `rejected ${id} (${out.approval.function}, requested by ${out.approval.requestedBy.name})\n`,
      );
    });
}
