#!/usr/bin/env -S node --no-node-snapshot --max-semi-space-size=32
// The `pave` command. isolated-vm needs Node started with --no-node-snapshot (the shebang passes it; the check
// below re-executes Node with it when the file is run another way). TypeScript sources load through tsx.
//
// --max-semi-space-size=32 doubles the young generation of the host's heap (V8's default is 16 MB semi-spaces). A
// server under load allocates ~20 KB a request: with 16 MB that is a young-generation collection every ~25 ms. Logging
// hello under autocannon -c 16, recording on, --trace-gc-nvp: scavenges cost 0.8 µs a request at 16 MB and 0.55 at
// 32 MB (2 runs each), for 12–17 MB more RSS under that load. (Before runtime/small-map.ts, a process at 16 MB often
// promoted every request's objects for the rest of its life: 2.5 µs a request.) `npm start` and the bench pass the
// same flags; function isolates keep the young generation isolated-vm gives them (runtime/isolate-heap.ts).
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
