// `npm run bench [-- --quick] [-- --json] [-- --cpu-prof DIR]`: the hot-path benchmarks and their targets.
// Throughput is a ratio to a raw node:http baseline from the same run; targets are reported, never enforced.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { killChildren } from "./children.ts";
import { writeHello } from "./hello.ts";
import { type LoadFigures, type LoadSettings, load, startPave, startRaw, type Target } from "./http.ts";
import { type Latency, measureRuntime } from "./runtime.ts";

const TARGETS = { coldStartP99Ms: 10, throughputRatio: 0.4 };

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    "cpu-prof": { type: "string" },
  },
});

async function main(): Promise<void> {
  const quick = args.quick === true;
  const settings: LoadSettings = {
    connections: 16,
    pipelining: 1,
    durationS: quick ? 2 : 5,
    warmupS: quick ? 1 : 2,
    rounds: quick ? 1 : 3,
  };
  // The machine is shared: the 1-minute load average says how much to trust the absolute figures.
  const load1m = loadavg()[0] ?? 0;
  const tmp = await mkdtemp(join(tmpdir(), "pave-bench-"));
  const targets: Target[] = [];
  try {
    const fnDir = join(tmp, "hello");
    await mkdir(fnDir);
    await writeHello(fnDir);
    progress("runtime: cold starts and warm invokes");
    const runtime = await measureRuntime(fnDir, quick ? { cold: 50, warm: 300 } : { cold: 300, warm: 2000 });
    const cpuProf = args["cpu-prof"] === undefined ? undefined : resolve(args["cpu-prof"]);
    const rawTarget = await startRaw();
    targets.push(rawTarget);
    const paveTarget = await startPave(tmp, fnDir, cpuProf);
    targets.push(paveTarget);
    progress(`http: warm-up (${settings.warmupS} s each)`);
    await load(rawTarget.url, settings, settings.warmupS);
    await load(paveTarget.url, settings, settings.warmupS);
    const rounds: { raw: LoadFigures; pave: LoadFigures; ratio: number }[] = [];
    for (let i = 1; i <= settings.rounds; i++) {
      progress(`http: round ${i}/${settings.rounds}, raw node:http then pave (${settings.durationS} s each)`);
      const raw = await load(rawTarget.url, settings, settings.durationS);
      const pave = await load(paveTarget.url, settings, settings.durationS);
      rounds.push({ raw, pave, ratio: Math.round((pave.requestsPerSec / raw.requestsPerSec) * 1000) / 1000 });
    }
    // The median round stands for the run: its raw and pave figures were measured side by side.
    const { raw, pave, ratio } = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)]!;
    const flagged = rounds.some((r) => failures(r.raw) + failures(r.pave) > 0);
    const coldP99 = runtime.coldStartCodeCache.p99Ms;
    const report = {
      quick,
      node: process.version,
      loadAvg1m: Math.round(load1m * 100) / 100,
      ...runtime,
      http: { settings, raw, pave, ratio, rounds: rounds.map((r) => r.ratio), flagged },
      targets: {
        coldStartP99Ms: {
          target: `< ${TARGETS.coldStartP99Ms}`,
          value: coldP99,
          pass: coldP99 < TARGETS.coldStartP99Ms,
        },
        throughputRatio: {
          target: `>= ${TARGETS.throughputRatio}`,
          value: ratio,
          pass: !flagged && ratio >= TARGETS.throughputRatio,
        },
      },
    };
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : table(report));
  } finally {
    await Promise.all(targets.map((t) => t.stop()));
    killChildren();
    await rm(tmp, { recursive: true, force: true });
  }
}

function failures(f: LoadFigures): number {
  return f.non2xx + f.errors + f.timeouts;
}

type Report = {
  quick: boolean;
  node: string;
  loadAvg1m: number;
  coldStartCodeCache: Latency;
  coldStartAfterRetire: Latency;
  coldStartFirstLoad: Latency;
  warmInvoke: Latency;
  http: {
    settings: LoadSettings;
    raw: LoadFigures;
    pave: LoadFigures;
    ratio: number;
    rounds: number[];
    flagged: boolean;
  };
  targets: Record<"coldStartP99Ms" | "throughputRatio", { target: string; pass: boolean }>;
};

function table(r: Report): string {
  const mark = (t: { target: string; pass: boolean }) => `${t.pass ? "PASS" : "MISS"} (target ${t.target})`;
  const lat = (name: string, l: Latency, note = "") =>
    row(name, `p50 ${ms(l.p50Ms)}  p99 ${ms(l.p99Ms)}  (n=${l.samples})`, note);
  const http = (name: string, f: LoadFigures) =>
    row(
      name,
      `${f.requestsPerSec} req/s  p50 ${f.p50Ms} ms  p99 ${f.p99Ms} ms`,
      failures(f) > 0
        ? `FLAGGED: ${f.non2xx} non-2xx, ${f.errors} errors, ${f.timeouts} timeouts`
        : `${f.requests} × 2xx`,
    );
  const s = r.http.settings;
  return [
    `pave bench${r.quick ? " (quick)" : ""} · node ${r.node} · load avg ${r.loadAvg1m} · targets are reported, not enforced`,
    "",
    "runtime, in-process (ms from invoke to result)",
    lat("cold start, code cached", r.coldStartCodeCache, `p99 ${mark(r.targets.coldStartP99Ms)}`),
    lat("cold start, after retire", r.coldStartAfterRetire),
    lat("cold start, first load", r.coldStartFirstLoad),
    lat("warm invoke", r.warmInvoke),
    "",
    `http, autocannon ${s.connections} connections × pipelining ${s.pipelining}, ${s.rounds} × ${s.durationS} s turns after ${s.warmupS} s warm-up (median round)`,
    http("raw node:http", r.http.raw),
    http("pave GET /fn/hello/", r.http.pave),
    row("pave / raw", `${r.http.ratio}  (rounds: ${r.http.rounds.join(", ")})`, mark(r.targets.throughputRatio)),
    "",
  ].join("\n");
}

function row(name: string, figures: string, note = ""): string {
  return `  ${name.padEnd(26)}${figures.padEnd(46)}${note}`.trimEnd();
}

function ms(v: number): string {
  return `${v.toFixed(2)} ms`;
}

function progress(line: string): void {
  if (!args.json) process.stderr.write(`… ${line}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
