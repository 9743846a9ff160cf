// `pave deploy [DIR]`: bundles the function in DIR (pave.yaml + entry) locally, uploads it as a new version and
// moves the alias `live` to it — all of it, a canary share, or as a shadow; says so plainly when nothing changed,
// and who must approve when the environment's policy holds the deploy.
import { resolve } from "node:path";
import type { Command } from "commander";
import { waitingLine } from "../client/index.ts";
import { clientFrom, optsOf } from "./client.ts";
import { envOption } from "./options.ts";
import { printJson } from "./output.ts";

export function registerDeploy(program: Command): void {
  program
    .command("deploy")
    .description("bundle, validate and deploy the function in DIR, and make it live")
    .argument("[dir]", "function directory (holds pave.yaml)", ".")
    .addOption(envOption())
    .option(
      "--canary <percent>",
      "put the new version on live beside the current one at this share (1-99%), then step it through the manifest's canary steps; rolled back on a breach",
    )
    .option(
      "--shadow <percent>",
      "mirror this share (1-100%) of live's requests to the new version; live keeps answering",
    )
    .option("--shadow-writes", "let the shadow's kv writes and publishes through (they hit the same data!)")
    .action(async (dir: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ env: string; canary?: string; shadow?: string; shadowWrites?: boolean }>(cmd);
      // Percentages are checked by the server, the one place that knows the rule.
      const answer = await clientFrom(opts).submitDeploy(resolve(dir), opts.env, {
        ...(opts.canary !== undefined && { canary: opts.canary }),
        ...(opts.shadow !== undefined && { shadow: opts.shadow }),
        ...(opts.shadowWrites && { shadowWrites: true }),
      });
      if (opts.json) return printJson(answer);
      if ("pending" in answer) {
        const p = answer.pending;
        const rules = p.rules.map((r) => `rule ${r.name}: ${r.why}`).join("\n  ");
        process.stdout.write(
          `${p.function} is not deployed yet; the ${p.env} policy holds it\n  ${rules}\n${waitingLine(p)}\n`,
        );
        return;
      }
      const out = answer;
      if (!out.changed) {
        process.stdout.write(`${out.function} is unchanged: version ${out.version.id} is already ${out.alias}\n`);
        return;
      }
      const [baseline, canary] = out.split;
      const lines = out.shadow
        ? [
            `deployed ${out.function} version ${out.version.id} (v${out.version.seq}) as the shadow of ${out.alias} (${out.shadow.percent}% mirrored)`,
          ]
        : canary
          ? [
              `deployed ${out.function} version ${out.version.id} (v${out.version.seq}) → ${out.alias} at ${canary.weight}% (canary); ${baseline?.version} keeps ${baseline?.weight}%`,
            ]
          : [`deployed ${out.function} version ${out.version.id} (v${out.version.seq}) → ${out.alias}`];
      if (out.previous && !out.shadow && !canary) lines.push(`previous: ${out.previous}`);
      if (out.canary) {
        lines.push(
          `analysed: steps ${out.canary.steps.map((w) => `${w}%`).join(" → ")}, each baked ${out.canary.policy.bakeMs / 1000}s; watch it with pave canary status ${out.function}`,
        );
      }
      if (out.replacedCanary) lines.push(`replaced the canary ${out.replacedCanary} in progress`);
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
