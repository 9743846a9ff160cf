// `pave alias ls|set|rm`, `pave rollback`, `pave promote` and `pave shadow report`: moving traffic between versions
// and watching a shadow. Each move takes effect at once on the node that took it, within a second on the others.
import { type Command, InvalidArgumentError, Option } from "commander";
import { type AliasTarget, waitingLine } from "../client/index.ts";
import { clientFrom, optsOf } from "./client.ts";
import { envOption } from "./options.ts";
import { ago, formatDuration, printJson, table } from "./output.ts";

/** `v3=90,v4=10` → a split; version names are passed as typed (seq, id, prefix, alias), the server resolves them. */
function parseSplit(value: string): { version: string; weight: number }[] {
  return value.split(",").map((part) => {
    const m = /^([^=\s]+)=(\d+)%?$/.exec(part.trim());
    if (!m) throw new InvalidArgumentError("Expected VERSION=WEIGHT pairs like v3=90,v4=10.");
    return { version: m[1] as string, weight: Number(m[2]) };
  });
}

function describe(t: AliasTarget | null): string {
  if (!t) return "-";
  const split = t.split.map((s) => (t.split.length === 1 ? s.version : `${s.version} ${s.weight}%`)).join(", ");
  return t.shadow ? `${split}; shadow ${t.shadow.version} ${t.shadow.percent}%` : split;
}

function rate(r: number | null): string {
  return r === null ? "-" : `${(r * 100).toFixed(1)}%`;
}

export function registerTraffic(program: Command): void {
  const alias = program.command("alias").description("list, create, move and remove aliases");

  alias
    .command("ls")
    .description("list a function's aliases with their splits and shadows")
    .argument("<fn>", "function name")
    .addOption(envOption())
    .action(async (fn: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string }>(cmd);
      const out = await clientFrom(opts).listAliases(fn, opts.env);
      if (opts.json) return printJson(out);
      const rows = out.aliases.map((a) => [a.name, describe(a), ago(a.updatedAt), a.updatedBy ?? "-"]);
      process.stdout.write(`${table(rows, ["ALIAS", "TARGET", "MOVED", "BY"])}\n`);
    });

  alias
    .command("set")
    .description("create or move an alias to a version, or to a weighted split (--split v3=90,v4=10)")
    .argument("<fn>", "function name")
    .argument("<name>", "alias name (live, staging, …)")
    .argument("[version]", "version: seq number, id or id prefix, or another alias")
    .addOption(
      new Option("--split <pairs>", "weighted split, weights summing to 100: v3=90,v4=10").argParser(parseSplit),
    )
    .addOption(envOption())
    .action(async (fn: string, name: string, version: string | undefined, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string; split?: { version: string; weight: number }[] }>(cmd);
      if ((version === undefined) === (opts.split === undefined)) {
        throw new InvalidArgumentError("Give either a VERSION or --split, not both (nor neither).");
      }
      const split = opts.split ?? [{ version: version as string, weight: 100 }];
      const out = await clientFrom(opts).setAlias(fn, name, { split }, opts.env);
      if (opts.json) return printJson(out);
      process.stdout.write(`${fn}@${name}: ${describe(out.from)} → ${describe(out.to)}\n`);
    });

  alias
    .command("rm")
    .description("remove an alias (live cannot be removed)")
    .argument("<fn>", "function name")
    .argument("<name>", "alias name")
    .addOption(envOption())
    .action(async (fn: string, name: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string }>(cmd);
      const out = await clientFrom(opts).deleteAlias(fn, name, opts.env);
      if (opts.json) return printJson(out);
      process.stdout.write(`removed alias ${name} of ${fn}\n`);
    });

  program
    .command("rollback")
    .description("point live back at the version it served before (or --to V), at once; ends a canary or shadow")
    .argument("<fn>", "function name")
    .option("--to <version>", "the version to go to: seq number, id or id prefix, or alias")
    .addOption(envOption())
    .action(async (fn: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string; to?: string }>(cmd);
      const out = await clientFrom(opts).rollback(fn, opts.to, opts.env);
      if (opts.json) return printJson(out);
      process.stdout.write(`rolled back ${fn}: live ${describe(out.from)} → ${out.version}\n`);
    });

  program
    .command("promote")
    .description(
      "copy the exact version (same id and bundle, no rebuild) from one environment to another and make it live",
    )
    .argument("<fn>", "function name")
    .requiredOption("--from <env>", "source environment")
    .requiredOption("--to <env>", "target environment")
    .option("--version <version>", "the version to promote (default: what live serves in --from)")
    .action(async (fn: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ from: string; to: string; version?: string }>(cmd);
      const out = await clientFrom(opts).promote(fn, {
        from: opts.from,
        to: opts.to,
        ...(opts.version !== undefined && { version: opts.version }),
      });
      if (opts.json) return printJson(out);
      if ("pending" in out) {
        const p = out.pending;
        const rules = p.rules.map((r) => `rule ${r.name}: ${r.why}`).join("\n  ");
        process.stdout.write(
          `${fn} is not promoted yet; the ${p.env} policy holds it\n  ${rules}\n${waitingLine(p)}\n`,
        );
        return;
      }
      const tail = out.previous && out.previous !== out.version.id ? ` (was ${out.previous})` : "";
      process.stdout.write(`promoted ${fn} ${out.version.id} from ${out.from} → live in ${out.to}${tail}\n`);
    });

  const shadow = program.command("shadow").description("watch a shadow deploy");
  shadow
    .command("report")
    .description("compare live and its shadow over mirrored requests: statuses, error rate, p50/p99, body matches")
    .argument("<fn>", "function name")
    .option("--since <when>", "window start: 1h, 30m or a date", "1h")
    .addOption(envOption())
    .action(async (fn: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string; since: string }>(cmd);
      const out = await clientFrom(opts).shadowReport(fn, { env: opts.env, since: opts.since });
      if (opts.json) return printJson(out);
      const ms = (v: number | null) => (v === null ? "-" : formatDuration(v));
      const statuses = (s: Record<string, number>) =>
        Object.entries(s)
          .map(([k, n]) => `${k}×${n}`)
          .join(" ") || "-";
      const rows = [out.primary, out.shadow].map((s, i) => [
        i === 0 ? "live" : "shadow",
        s.versions.join(",") || "-",
        String(s.invocations),
        rate(s.errorRate),
        ms(s.p50Ms),
        ms(s.p99Ms),
        statuses(s.statuses),
      ]);
      const head = out.mirror
        ? `${fn}: mirroring ${out.mirror.percent}% to ${out.mirror.version}${out.mirror.writes ? " (writes allowed)" : ""}`
        : `${fn}: no shadow is set now`;
      process.stdout.write(
        `${head}\n${out.pairs} mirrored pairs since ${opts.since}; ${out.dropped} dropped on this node (shadow budget full)\n` +
          `${table(rows, ["SIDE", "VERSION", "REQUESTS", "ERRORS", "P50", "P99", "STATUSES"])}\n` +
          `same status: ${rate(out.statusMatchRate)}   same body: ${rate(out.bodyMatchRate)}\n`,
      );
    });
}
