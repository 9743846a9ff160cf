// Shared by the e2e tests: a real pave server on a loopback port with a fresh data directory (real SQLite),
// function directories written on the fly, and a poller for what is recorded off the hot path.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PaveClient } from "../../src/client/index.ts";
import { createLogger } from "../../src/logger.ts";
import { type PaveServer, type ServerOptions, startServer } from "../../src/server.ts";

/** test/ — function directories live under it so their npm imports resolve from the repo's node_modules. */
const TEST_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export interface TestServer {
  server: PaveServer;
  client: PaveClient;
  /** Closes the server (idempotent) and removes its data directory. */
  close(): Promise<void>;
}

/** Starts a real server on 127.0.0.1, port 0, with a temp data directory and a silent logger. */
export async function startTestServer(opts: Omit<ServerOptions, "host" | "port" | "logger"> = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "pave-e2e-"));
  const server = await startServer({ ...opts, host: "127.0.0.1", port: 0, dataDir, logger: createLogger("silent") });
  const client = new PaveClient({ url: server.url, token: server.adminToken });
  return {
    server,
    client,
    close: async () => {
      try {
        await server.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

const fnDirs: string[] = [];

/**
 * Writes a function directory (e.g. `{ "pave.yaml": "…", "src/index.ts": "…" }`) under test/.tmp-e2e-* and returns
 * its path. `removeFunctionDirs()` deletes them all.
 */
export async function writeFunction(files: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(join(TEST_ROOT, ".tmp-e2e-"));
  fnDirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  return dir;
}

export async function removeFunctionDirs(): Promise<void> {
  await Promise.all(fnDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** A pave.yaml for `name` with the given extra keys (flat scalars only). */
export function manifestYaml(name: string, extra: Record<string, string | number> = {}): string {
  const lines = [`name: ${name}`, "entry: src/index.ts", "timeout: 500ms"];
  for (const [k, v] of Object.entries(extra)) {
    const i = lines.findIndex((l) => l.startsWith(`${k}:`));
    if (i === -1) lines.push(`${k}: ${v}`);
    else lines[i] = `${k}: ${v}`;
  }
  return `${lines.join("\n")}\n`;
}

/** Writes and deploys a function whose entry is `source` (into `env`, prod by default). */
export async function deploySource(
  client: PaveClient,
  name: string,
  source: string,
  extra: Record<string, string | number> = {},
  env = "prod",
) {
  const dir = await writeFunction({ "pave.yaml": manifestYaml(name, extra), "src/index.ts": source });
  return client.deploy(dir, env);
}

/** Retries `fn` until it stops throwing (or returns without throwing), or rethrows its last error after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 3000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

const BIN = fileURLToPath(new URL("../../bin/pave.js", import.meta.url));

/** What a run of the real CLI printed and how it exited. */
export interface CliRun {
  code: number | null;
  stdout: Buffer;
  out: string;
  err: string;
}

/**
 * Runs the real `pave` binary against `t`'s server with its admin token and no local config file. `env` overrides
 * those (`undefined` removes a variable: e.g. PAVE_TOKEN, to test the config file); `input` is written to stdin.
 */
export function runPave(
  t: TestServer,
  args: string[],
  opts: { env?: Record<string, string | undefined>; input?: string | Uint8Array } = {},
): Promise<CliRun> {
  const vars: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PAVE_URL: t.server.url,
    PAVE_TOKEN: t.server.adminToken,
    PAVE_CONFIG: "/nonexistent/pave-config.json",
    ...opts.env,
  };
  const env = Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== undefined)) as Record<string, string>;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--no-node-snapshot", BIN, ...args], { env, stdio: "pipe" });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code) => {
      const stdout = Buffer.concat(out);
      resolve({ code, stdout, out: stdout.toString(), err: Buffer.concat(err).toString() });
    });
    child.stdin.end(opts.input ?? "");
  });
}
