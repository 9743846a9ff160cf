// The `pave` program: global options, every command group, and the one place where failures become an error
// line (or a JSON error) and an exit code.
import { Command, CommanderError } from "commander";
import { VERSION } from "../client/index.ts";
import { registerActivations } from "./activations.ts";
import { registerAudit } from "./audit.ts";
import { registerBackup } from "./backup.ts";
import { registerCanary } from "./canary.ts";
import { registerCost } from "./cost.ts";
import { registerDeploy } from "./deploy.ts";
import { registerDlq } from "./dlq.ts";
import { registerEnvironments } from "./environments.ts";
import { EXIT, reportError } from "./errors.ts";
import { registerEvents } from "./events.ts";
import { registerFunctions } from "./functions.ts";
import { registerInvoke } from "./invoke.ts";
import { registerKv } from "./kv.ts";
import { registerLogs } from "./logs.ts";
import { registerPause } from "./pause.ts";
import { registerPolicies } from "./policies.ts";
import { registerSchedules } from "./schedules.ts";
import { registerSecrets } from "./secrets.ts";
import { registerTokens } from "./tokens.ts";
import { registerTop } from "./top.ts";
import { registerTopics } from "./topics.ts";
import { registerTrace } from "./trace.ts";
import { registerTraffic } from "./traffic.ts";
import { registerUp } from "./up.ts";
import { registerVersions } from "./versions.ts";

const program = new Command()
  .name("pave")
  .description("Pave: a self-hosted serverless platform for TypeScript and JavaScript functions")
  .option("--url <url>", "server URL (default: PAVE_URL, the config `pave up` wrote, or http://127.0.0.1:8700)")
  .option("--json", "machine-readable output with stable keys")
  // Commander throws instead of exiting, and stays quiet: the catch below prints the one error line.
  .exitOverride()
  .configureOutput({ outputError: () => {} });

registerUp(program);
registerDeploy(program);
registerInvoke(program);
registerFunctions(program);
registerActivations(program);
registerCost(program);
registerLogs(program);
registerSecrets(program);
registerKv(program);
registerTopics(program);
registerTop(program);
registerAudit(program);
registerTokens(program);
registerSchedules(program);
registerVersions(program);
registerTraffic(program);
registerEnvironments(program);
registerTrace(program);
registerEvents(program);
registerDlq(program);
registerPause(program);
registerPolicies(program);
registerCanary(program);
registerBackup(program);

const argv = process.argv.slice(2);
try {
  // `pave --version` by hand: commander's version option would also swallow `--version` after a subcommand, where
  // `pave activations --version ID` means a function version.
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    process.stdout.write(`${VERSION}\n`);
  } else {
    await program.parseAsync(process.argv);
  }
} catch (err) {
  if (err instanceof CommanderError && err.exitCode === 0) {
    process.exitCode = EXIT.ok; // --help
  } else if (err instanceof CommanderError && err.code === "commander.help") {
    process.exitCode = EXIT.usage; // no command given: commander printed the help
  } else {
    const sub = program.commands.find((c) => argv.includes(c.name()));
    const json = program.opts().json === true || argv.includes("--json");
    process.exitCode = reportError(err, { json, command: sub ? `pave ${sub.name()}` : "pave" });
  }
}
