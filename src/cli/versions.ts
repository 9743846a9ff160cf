// `pave versions FN` and `pave diff FN V1 V2`: a function's versions with the aliases on each, and what changed
// between two of them (manifest key by key, code as a unified diff). Versions by seq, id, id prefix or alias.
import type { Command } from "commander";
import type { VersionInfo } from "../client/index.ts";
import { clientFrom, optsOf } from "./client.ts";
import { envOption } from "./options.ts";
import { ago, printJson, table } from "./output.ts";

export function registerVersions(program: Command): void {
  program
    .command("versions")
    .description("list a function's versions, newest first, with the aliases (and weights) on each")
    .argument("<fn>", "function name")
    .addOption(envOption())
    .action(async (fn: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string }>(cmd);
      const out = await clientFrom(opts).listVersions(fn, opts.env);
      if (opts.json) return printJson(out);
      const rows = out.versions.map((v) => [
        `v${v.seq}`,
        v.id.slice(0, 8),
        ago(v.createdAt),
        v.createdBy,
        formatBytes(v.bundleBytes),
        aliasesOf(v),
      ]);
      process.stdout.write(`${table(rows, ["SEQ", "ID", "CREATED", "BY", "SIZE", "ALIASES"])}\n`);
    });

  program
    .command("diff")
    .description("compare two versions: manifest key by key, then a unified diff of the bundled code")
    .argument("<fn>", "function name")
    .argument("<v1>", "version: seq number (3), id or id prefix, or alias (live)")
    .argument("<v2>", "version: seq number (3), id or id prefix, or alias (live)")
    .addOption(envOption())
    .action(async (fn: string, v1: string, v2: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string }>(cmd);
      const out = await clientFrom(opts).diffVersions(fn, v1, v2, opts.env);
      if (opts.json) return printJson(out);
      const lines = [`${fn}: v${out.from.seq} (${out.from.id}) → v${out.to.seq} (${out.to.id})`, "", "manifest:"];
      if (out.manifest.length === 0) lines.push("  (no changes)");
      for (const c of out.manifest) lines.push(`  ${c.key}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`);
      lines.push("", "code:");
      lines.push(out.code === "" ? "  (no changes)" : out.code);
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}

function aliasesOf(v: VersionInfo): string {
  return (
    v.aliases
      .map((a) =>
        a.shadow !== undefined
          ? `${a.alias}(shadow ${a.shadow}%)`
          : a.weight === 100
            ? a.alias
            : `${a.alias}(${a.weight}%)`,
      )
      .join(", ") || "-"
  );
}

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}
