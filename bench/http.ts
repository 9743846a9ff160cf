// HTTP throughput: a raw node:http hello-world and a Pave node, each in its own child process, loaded by autocannon
// from this process with the same settings. Pave's figure only means something as a ratio to the raw one, and the
// two take turns so that a noisy neighbour on the machine weighs on both alike.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { PaveClient } from "../src/client/index.ts";
import { HELLO_BODY } from "./hello.ts";

export interface LoadSettings {
  connections: number;
  pipelining: number;
  /** Seconds of each measured round. */
  durationS: number;
  /** Seconds of load before the first round, discarded: JIT, connection setup, warm instances. */
  warmupS: number;
  /** Raw and Pave take turns this many times; the ratio is the median of the rounds' ratios. */
  rounds: number;
}

export interface LoadFigures {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));

const RAW_SERVER = `
const body = ${JSON.stringify(HELLO_BODY)};
require("node:http")
  .createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(body);
  })
  .listen(0, "127.0.0.1", function () { console.log("port " + this.address().port); });
`;

/** Every child this process started, so a failure or Ctrl-C can stop them all. */
const children = new Set<ChildProcess>();

export function killChildren(): void {
  for (const child of children) child.kill("SIGKILL");
}

/** A server under test: where to send load, and how to stop it. */
export interface Target {
  url: string;
  stop(): Promise<void>;
}

export async function startRaw(): Promise<Target> {
  const child = start(["-e", RAW_SERVER]);
  try {
    const exited = once(child, "exit").then(() =>
      Promise.reject(new Error(`the raw server exited:\n${child.output()}`)),
    );
    const [line] = (await Promise.race([once(child.stdout!, "data"), exited])) as [Buffer];
    const port = /port (\d+)/.exec(line.toString())?.[1];
    if (!port) throw new Error(`the raw server did not print its port: ${line.toString()}`);
    return { url: `http://127.0.0.1:${port}/`, stop: () => stop(child) };
  } catch (err) {
    await stop(child);
    throw err;
  }
}

/** Starts `pave up` with its data and CLI config in `tmp`, deploys `fnDir`; the target is `GET /fn/hello/`. */
export async function startPave(tmp: string, fnDir: string, cpuProfDir?: string): Promise<Target> {
  const port = await freePort();
  const data = join(tmp, "data");
  const args = [
    "--no-node-snapshot",
    ...(cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] : []),
    join(ROOT, "bin/pave.js"),
    ...["up", "--port", String(port), "--data", data, "--log-level", "warn"],
  ];
  const child = start(args, { PAVE_CONFIG: join(tmp, "config.json") });
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitReady(url, child);
    const token = (await readFile(join(data, "admin-token"), "utf8")).trim();
    await new PaveClient({ url, token }).deploy(fnDir);
    const probe = await fetch(`${url}/fn/hello/`);
    const text = await probe.text();
    if (probe.status !== 200 || text !== HELLO_BODY)
      throw new Error(`GET /fn/hello/ answered ${probe.status}: ${text}`);
    return { url: `${url}/fn/hello/`, stop: () => stop(child) };
  } catch (err) {
    await stop(child);
    throw err;
  }
}

/** One run of autocannon against `url` for `durationS` seconds. */
export async function load(url: string, s: LoadSettings, durationS: number): Promise<LoadFigures> {
  const r = await autocannon({ url, connections: s.connections, pipelining: s.pipelining, duration: durationS });
  return {
    requestsPerSec: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

/** A child's output is kept (the tail) so a failure can say why. */
function start(args: string[], env: Record<string, string> = {}): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env } });
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

/** SIGTERM lets pave close cleanly (and write a --cpu-prof); SIGKILL if it takes over 5 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

async function waitReady(url: string, child: ChildProcess & { output: () => string }): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`pave up exited with ${child.exitCode}:\n${child.output()}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`pave up was not ready within 30 s:\n${child.output()}`);
}

/** `pave up` needs a fixed port: take one the OS hands out, then free it for the child. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}
