#!/usr/bin/env -S node --no-node-snapshot
// The `pave` command. isolated-vm needs Node started with --no-node-snapshot (the shebang passes it; the check
// below re-executes Node with it when the file is run another way). TypeScript sources load through tsx.
import { spawnSync } from "node:child_process";

if (!process.execArgv.includes("--no-node-snapshot")) {
  const r = spawnSync(process.execPath, ["--no-node-snapshot", ...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
  });
  process.exit(r.status ?? 1);
}
const { register } = await import("tsx/esm/api");
register();
await import("../src/cli/main.ts");
