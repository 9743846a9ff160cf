// HTTP throughput: a raw node:http hello-world and a Pave node (and workerd, see workerd.ts), each in its own child
// process, loaded by autocannon from this process with the same settings. Pave's figure only means something as a
// ratio to the others, and they take turns so that a noisy neighbour on the machine weighs on all alike.
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import autocannon from "autocannon";
import { PaveClient } from "../src/client/index.ts";
import { freePort, PAVE, start, stop, waitUntil } from "./children.ts";
import { type CpuFigures, cpuPerRequest, cpuSnapshot } from "./cpu.ts";
import { HELLO_BODY } from "./hello.ts";

export interface LoadSettings {
  connections: number;
  pipelining: number;
  /** Seconds of each measured round. */
  durationS: number;
  /** Seconds of load before the first round, discarded: JIT, connection setup, warm instances. */
  warmupS: number;
  /** The targets take turns this many times; a ratio is the median of the rounds' ratios. */
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
  /** Where the server's CPU went, per request; absent where /proc is not there to read. */
  cpu?: CpuFigures;
}

const RAW_SERVER = `
const body = ${JSON.stringify(HELLO_BODY)};
require("node:http")
  .createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(body);
  })
  .listen(0, "127.0.0.1", function () { console.log("port " + this.address().port); });
`;

/** A server under test: where to send load, and how to stop it. */
export interface Target {
  url: string;
  /** The server's process, whose threads' CPU time is read around each turn. */
  pid: number | undefined;
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
    return { url: `http://127.0.0.1:${port}/`, pid: child.pid, stop: () => stop(child) };
  } catch (err) {
    await stop(child);
    throw err;
  }
}

/**
 * A `pave up` child serving the function in `fnDir` (named `fn`), in its own data directory under `tmp`.
 * `record: false` runs it with recording off (`--no-record`), for the recording-cost figure; `store` puts its state
 * there (`--store postgres://…`, for the cluster section) instead of SQLite in its data directory; `data` names that
 * directory, for a server started again on the same store (a fresh one under `tmp` otherwise).
 */
export async function startPave(
  tmp: string,
  fnDir: string,
  opts: { fn?: string; record?: boolean; cpuProfDir?: string | undefined; store?: string; data?: string } = {},
): Promise<Target> {
  const fn = opts.fn ?? "hello";
  const port = await freePort();
  const data = opts.data ?? join(tmp, `data-${port}`);
  const args = [
    ...(opts.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${opts.cpuProfDir}`] : []),
    ...PAVE,
    ...["up", "--port", String(port), "--data", data, "--log-level", "warn"],
    ...(opts.record === false ? ["--no-record"] : []),
    ...(opts.store ? ["--store", opts.store] : []),
  ];
  const child = start(args, { PAVE_CONFIG: join(tmp, `config-${port}.json`) });
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitUntil("pave up", child, async () => (await fetch(`${url}/readyz`)).ok);
    const token = (await readFile(join(data, "admin-token"), "utf8")).trim();
    await new PaveClient({ url, token }).deploy(fnDir);
    const probe = await fetch(`${url}/fn/${fn}/`);
    const text = await probe.text();
    if (probe.status !== 200 || text !== HELLO_BODY)
      throw new Error(`GET /fn/${fn}/ answered ${probe.status}: ${text}`);
    return { url: `${url}/fn/${fn}/`, pid: child.pid, stop: () => stop(child) };
  } catch (err) {
    await stop(child);
    throw err;
  }
}

/** One run of autocannon against `target` for `durationS` seconds. */
export async function load(target: Target, s: LoadSettings, durationS: number): Promise<LoadFigures> {
  const before = cpuSnapshot(target.pid);
  const r = await autocannon({
    url: target.url,
    connections: s.connections,
    pipelining: s.pipelining,
    duration: durationS,
  });
  const cpu = cpuPerRequest(before, cpuSnapshot(target.pid), r.requests.total);
  return {
    // Over the whole turn, not the mean of whole-second samples, which drops the last part second of a short turn.
    requestsPerSec: Math.round(r.requests.total / r.duration),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    ...(cpu && { cpu }),
  };
}
