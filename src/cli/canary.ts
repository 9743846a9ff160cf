// `pave canary status|abort|promote FN`: where an analysed canary stands — both sides' figures, the step, the bake
// left, the last decision and why — and the operator's way to end it early either way.
import type { Command } from "commander";
import type { CanaryAnswer, CanaryFigures, CanaryView } from "../client/index.ts";
import { clientFrom, optsOf } from "./client.ts";
import { envOption } from "./options.ts";
import { ago, formatClock, formatDuration, printJson, table } from "./output.ts";

const pct = (r: number) => `${(r * 100).toFixed(1)}%`;
const short = (id: string) => id.slice(0, 12);

function figures(side: string, id: string, f: CanaryFigures | undefined): string[] {
  if (!f) return [side, short(id), "-", "-", "-", "-"];
  const p99 = f.p99Ms === null ? "-" : formatDuration(f.p99Ms);
  return [side, short(id), String(f.requests), String(f.errors), pct(f.errorRate), p99];
}

/** The readable block of `pave canary status`. */
export function renderCanary(out: CanaryAnswer, now = Date.now()): string {
  const c: CanaryView = out.canary;
  const path = c.steps.map((w, i) => (i === c.step && c.status === "running" ? `[${w}%]` : `${w}%`)).join(" → ");
  const state =
    c.status === "running"
      ? `running at ${c.weight}% of live (step ${c.step + 1} of ${c.steps.length})`
      : `${c.status}${c.reason ? `: ${c.reason}` : ""}`;
  const p = c.policy;
  const lines = [
    `${out.function} (${out.env}): canary ${short(c.canary)} ${state}`,
    `steps ${path}; started ${ago(c.startedAt, now)} by ${c.startedBy}`,
    `policy: bake ${formatDuration(p.bakeMs)}, window ${formatDuration(p.windowMs)}, error rate ≤ baseline + ` +
      `${pct(p.maxErrorRateIncrease)}, p99 ≤ ${p.maxP99Increase} × baseline, judged after ${p.minRequests} requests`,
  ];
  if (c.bakeLeftMs !== null) {
    lines.push(c.bakeLeftMs > 0 ? `bake: ${formatDuration(c.bakeLeftMs)} left at ${c.weight}%` : "bake: done");
  }
  const a = c.analysis;
  lines.push(
    "",
    table(
      [figures("baseline", c.baseline, a?.baseline), figures("canary", c.canary, a?.canary)],
      ["SIDE", "VERSION", "REQUESTS", "ERRORS", "ERROR RATE", "P99"],
    ),
  );
  lines.push(
    a
      ? `last analysis ${ago(a.at, now)} (window from ${formatClock(a.since)}): ${a.decision} — ${a.note}`
      : "no analysis yet",
  );
  if (out.decisions.length > 0) {
    lines.push("", "decisions:");
    for (const d of out.decisions) {
      lines.push(`  ${formatClock(d.at)}  ${d.actor}  ${d.decision ?? "-"}${d.note ? ` — ${d.note}` : ""}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

export function registerCanary(program: Command): void {
  const canary = program.command("canary").description("watch and end analysed canaries (pave deploy --canary 10%)");

  canary
    .command("status")
    .description("baseline vs canary figures, the current step, bake left, and each decision with why")
    .argument("<fn>", "function name")
    .addOption(envOption())
    .action(async (fn: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string }>(cmd);
      const out = await clientFrom(opts).canaryStatus(fn, opts.env);
      if (opts.json) return printJson(out);
      process.stdout.write(renderCanary(out));
    });

  for (const how of ["abort", "promote"] as const) {
    canary
      .command(how)
      .description(
        how === "abort"
          ? "end the canary now: live back to the baseline, all of it (operator)"
          : "end the canary now: the canary gets all of live, skipping the remaining steps (operator)",
      )
      .argument("<fn>", "function name")
      .addOption(envOption())
      .action(async (fn: string, _opts: unknown, cmd: Command) => {
        const opts = optsOf<{ env: string }>(cmd);
        const out = await clientFrom(opts).finishCanary(fn, how, opts.env);
        if (opts.json) return printJson(out);
        const live = out.live.split[0]?.version ?? "-";
        process.stdout.write(`${how === "abort" ? "aborted" : "promoted"} the canary of ${fn}: live → ${live}\n`);
      });
  }
}
