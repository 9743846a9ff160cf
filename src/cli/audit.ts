// `pave audit` lists who changed what (newest first); `pave audit verify` checks the hash chain and exits 1 when
// it is broken; `pave audit export` streams the log as JSON Lines to a file or stdout.
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { type Command, InvalidArgumentError } from "commander";
import type { AuditFilter, AuditRecord } from "../client/index.ts";
import { clientFrom, optsOf } from "./client.ts";
import { EXIT } from "./errors.ts";
import { limitOption } from "./options.ts";
import { formatTime, printJson, table } from "./output.ts";

interface FilterOpts {
  since?: string;
  until?: string;
  actor?: string;
  function?: string;
  action?: string;
  env?: string;
}

function withFilters(cmd: Command): Command {
  return cmd
    .option("--since <when>", "only records since a duration ago (30m, 1h, 7d) or a date")
    .option("--until <when>", "only records before a duration ago or a date")
    .option("--actor <who>", "only this token's records (its name or id; `system` for Pave's own)")
    .option("--function <fn>", "only records about this function")
    .option("--action <action>", "only this action (function.deploy, secret.set, …) or kind (secret.*)")
    .option("--env <env>", "only this environment's records (default: every environment)");
}

function filtersOf(o: FilterOpts): AuditFilter {
  const { since, until, actor, function: fn, action, env } = o;
  return Object.fromEntries(
    Object.entries({ since, until, actor, function: fn, action, env }).filter(([, v]) => v !== undefined),
  );
}

/** A before/after value in a few characters: `{"version":"3f2a…"}` → `version=3f2a…`. */
function brief(value: unknown): string {
  if (value === null || value === undefined) return "-";
  const text =
    typeof value === "object" && !Array.isArray(value)
      ? Object.entries(value as Record<string, unknown>)
          .map(([k, v]) => `${k}=${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}`)
          .join(" ")
      : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function row(r: AuditRecord): string[] {
  const actor = r.actor.role ? `${r.actor.name} (${r.actor.role})` : r.actor.name;
  const where = [r.env, r.target].filter((s) => s !== null).join(" ");
  return [
    String(r.seq),
    formatTime(r.at),
    actor,
    r.action,
    where || "-",
    r.outcome,
    r.ip ?? "-",
    `${brief(r.before)} → ${brief(r.after)}`,
  ];
}

export function registerAudit(program: Command): void {
  const audit = withFilters(
    program
      .command("audit")
      .description("who changed what, when and from where (newest first); see also `audit verify`, `audit export`"),
  )
    .option("--before <seq>", "only records older than this seq (the cursor printed by the previous page)", (v) => {
      if (!/^[1-9]\d*$/.test(v)) throw new InvalidArgumentError("Expected a record's seq, a whole number from 1.");
      return Number(v);
    })
    .addOption(limitOption(1000, "records").default(50))
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = optsOf<FilterOpts & { before?: number; limit: number }>(cmd);
      const q = {
        ...filtersOf(opts),
        limit: opts.limit,
        ...(opts.before !== undefined && { before: opts.before }),
      };
      const out = await clientFrom(opts).listAudit(q);
      if (opts.json) return printJson(out);
      if (out.records.length === 0) {
        process.stdout.write("no audit records match\n");
        return;
      }
      const headers = ["SEQ", "TIME", "ACTOR", "ACTION", "TARGET", "OUTCOME", "FROM", "BEFORE → AFTER"];
      process.stdout.write(`${table(out.records.map(row), headers)}\n`);
      if (out.next !== null) process.stderr.write(`more: pave audit --before ${out.next}\n`);
    });

  audit
    .command("verify")
    .description("check the whole hash chain; exits 1 and names the first changed, deleted or reordered record")
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = optsOf(cmd);
      const report = await clientFrom(opts).verifyAudit();
      if (!report.ok) process.exitCode = EXIT.refused;
      if (opts.json) return printJson(report);
      if (report.ok) {
        process.stdout.write(
          `ok: ${report.checked} records, chain head seq ${report.head.seq} hash ${report.head.hash}\n` +
            "keep the head hash somewhere else: it is what proves later that no records were cut from the end\n",
        );
        return;
      }
      const p = report.problem;
      process.stderr.write(
        `error: the audit chain is broken at seq ${p?.seq} (${p?.kind}): ${p?.message}\n` +
          `  records affected: ${p?.seqs.join(", ")}\n  ${report.checked} records before it check out\n`,
      );
    });

  withFilters(audit.command("export"))
    .description("write matching records, oldest first, as JSON Lines")
    .option("-o, --output <file>", "write to this file instead of stdout")
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = optsOf<FilterOpts & { output?: string }>(cmd);
      const body = await clientFrom(opts).exportAudit(filtersOf(opts));
      const source = Readable.fromWeb(body as WebReadableStream<Uint8Array>);
      if (opts.output === undefined) {
        await pipeline(source, process.stdout, { end: false });
        return;
      }
      await pipeline(source, createWriteStream(opts.output, { mode: 0o600 }));
      process.stderr.write(`wrote ${opts.output}\n`);
    });
}
