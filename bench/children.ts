// The bench's child processes (servers under test, the instance-memory probe): started, tracked and stopped here,
// so that none outlives the bench — not on success, not on a failure, not on Ctrl-C.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** How a `pave up` under test is started: Node's flags as the `pave` bin's shebang gives them (see bin/pave.js). */
export const PAVE = ["--no-node-snapshot", "--max-semi-space-size=32", join(ROOT, "bin/pave.js")];

/** Every child this process started, so a failure or a signal can stop them all. */
const children = new Set<ChildProcess>();

export function killChildren(): void {
  for (const child of children) child.kill("SIGKILL");
}

// `exit` also runs after process.exit() and an uncaught exception; the signals would otherwise end the bench
// without it. (A SIGKILL of the bench cannot be caught: that one leaves its children behind.)
process.once("exit", killChildren);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    killChildren();
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
}

export type Child = ChildProcess & { output: () => string };

/** Starts `command` (Node itself by default) in the repository root; the tail of its output is kept for errors. */
export function start(args: string[], env: Record<string, string> = {}, command = process.execPath): Child {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env } });
  children.add(child);
  child.once("exit", () => children.delete(child));
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  return Object.assign(child, { output: () => output });
}

/** SIGTERM lets a server close cleanly (and pave write a --cpu-prof); SIGKILL if it takes over 5 s. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** Polls `ready` every 100 ms until it holds, failing early if the child exits and after `timeoutMs`. */
export async function waitUntil(
  name: string,
  child: Child,
  ready: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${child.output()}`);
    try {
      if (await ready()) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} was not ready within ${timeoutMs / 1000} s:\n${child.output()}`);
}

/** Servers that need a fixed port: take one the OS hands out, then free it for the child. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}
