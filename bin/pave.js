#!/usr/bin/env -S node --no-node-snapshot --max-semi-space-size=32
// The `pave` command. isolated-vm needs Node started with --no-node-snapshot (the shebang passes it; the check
// below re-executes Node with it when the file is run another way). TypeScript sources load through tsx.
//
// --max-semi-space-size=32 doubles the young generation of the host's heap (V8's default is 16 MB semi-spaces). A
// server under load allocates ~20 KB a request: with 16 MB that is a young-generation collection every ~40 ms, and a
// process often settled into promoting ~0.6 MB at every one of them for the rest of its life, then marking and
// compacting it (what kept those objects alive across two collections is not known; a heap snapshot finds nothing
// per request). Logging hello under autocannon -c 16 for 6 s, recording on: at 16 MB (7 runs) scavenge pauses
// 230–270 ms, 70–87 MB promoted, 1–3 full collections; at 32 MB (4 runs) 54–70 ms, 0.5–3 MB, none. RSS under that
// load: +12–17 MB. `npm start` and the bench pass the same flags; function isolates keep the young generation
// isolated-vm gives them (runtime/isolate-heap.ts).
import { spawnSync } from "node:child_process";

const NODE_FLAGS = ["--no-node-snapshot", "--max-semi-space-size=32"];

if (!process.execArgv.includes("--no-node-snapshot")) {
  const missing = NODE_FLAGS.filter((f) => !process.execArgv.some((a) => a.startsWith(f.split("=")[0])));
  const r = spawnSync(process.execPath, [...missing, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
  });
  process.exit(r.status ?? 1);
}
const { register } = await import("tsx/esm/api");
register();
await import("../src/cli/main.ts");
