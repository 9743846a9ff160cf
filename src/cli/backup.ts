// `pave backup FILE` and `pave restore FILE`: a whole store to one file and back, for the store `pave up` would open
// (--store / PAVE_STORE, else the SQLite file in --data). Like `up`, they open the store themselves, not the API.
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import type { Command } from "commander";
import type { BackupContents as Contents } from "../store/index.ts";
import { optsOf } from "./client.ts";
import { dataOption, storeFrom, storeOption } from "./options.ts";
import { formatBytes, formatDuration, printJson } from "./output.ts";

interface StoreOpts {
  data: string;
  store?: string;
  force?: boolean;
}

/** Loaded when a command runs: the store's drivers are not worth loading for every other command. */
async function storeUrl(opts: StoreOpts): Promise<string> {
  const { defaultStoreUrl } = await import("../store/index.ts");
  return storeFrom(opts, process.env) ?? defaultStoreUrl(opts.data);
}

function contentLines(c: Contents): string[] {
  const counts = [
    `${c.functions} functions`,
    `${c.versions} versions`,
    `${c.aliases} aliases`,
    `${c.kvEntries} kv entries`,
    `${c.secrets} secrets`,
    `${c.activations} activations`,
    `${c.auditRecords} audit records`,
  ];
  const lines = [`  holds:   ${counts.join(", ")}`, `  schema:  ${c.schema ?? "-"}`];
  // The key id is what the startup log names (`keyId`): how an operator checks the restored node has the right key.
  if (c.secretKeyIds.length > 0) lines.push(`  secrets: sealed by master key ${c.secretKeyIds.join(", ")}`);
  return lines;
}

const shown = (path: string) => {
  const rel = relative(process.cwd(), path);
  return rel.startsWith("..") || rel === "" ? path : rel;
};

export function registerBackup(program: Command): void {
  program
    .command("backup")
    .description("copy the whole store into FILE, consistently, while the server keeps running (not the master key)")
    .argument("<file>", "the backup file to write (an SQLite file, or a pg_dump archive for PostgreSQL)")
    .addOption(dataOption())
    .addOption(storeOption())
    .option("--force", "replace FILE if it exists")
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<StoreOpts>(cmd);
      const { backupStore } = await import("../store/index.ts");
      const out = await backupStore(await storeUrl(opts), file, { force: opts.force ?? false, env: process.env });
      if (opts.json) return printJson(out);
      process.stdout.write(
        [
          `backed up ${shown(out.store)} to ${shown(out.file)}: ${formatBytes(out.bytes)} in ${formatDuration(out.ms)}`,
          ...contentLines(out.contents),
          "  not in it: the master key — keep <data>/master-key or PAVE_MASTER_KEY apart (docs/operations.md)",
          "",
        ].join("\n"),
      );
    });

  program
    .command("restore")
    .description(
      "replace the store with the backup in FILE (SQLite: the server must be stopped; the old store is kept)",
    )
    .argument("<file>", "a file `pave backup` wrote")
    .addOption(dataOption())
    .addOption(storeOption())
    .option("--force", "PostgreSQL: restore into a database that already holds Pave's tables, replacing them")
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<StoreOpts>(cmd);
      const { restoreStore } = await import("../store/index.ts");
      const out = await restoreStore(file, await storeUrl(opts), { force: opts.force ?? false, env: process.env });
      // A data directory without the key would get a new one on `pave up`, and no restored secret would open.
      const keyMissing =
        out.kind === "sqlite" &&
        out.contents.secrets > 0 &&
        !process.env.PAVE_MASTER_KEY &&
        !existsSync(join(opts.data, "master-key"));
      if (opts.json) return printJson({ ...out, masterKeyMissing: keyMissing });
      const lines = [
        `restored ${shown(out.file)} into ${shown(out.store)}: ${formatBytes(out.bytes)} in ${formatDuration(out.ms)}`,
        ...contentLines(out.contents),
      ];
      if (out.previous) lines.push(`  kept:    the replaced store as ${shown(out.previous)} (move it back to undo)`);
      lines.push("  next:    `pave up` migrates it to this Pave's schema if the backup is older");
      if (keyMissing) {
        lines.push(
          `  warning: no master key in ${shown(opts.data)} and PAVE_MASTER_KEY is unset: put the key the secrets were sealed with there before \`pave up\``,
        );
      }
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
