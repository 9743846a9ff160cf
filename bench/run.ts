// `npm run bench [-- --quick] [-- --json] [-- --cpu-prof DIR] [-- --only queries|cluster|http]`: the hot-path benchmarks, the
// store's query figures, and their targets.
// Throughput is a ratio to baselines (raw node:http, workerd) from the same run; targets are reported, never enforced.
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { killChildren } from "./children.ts";
import { measureCluster } from "./cluster.ts";
import { measureEvents } from "./events.ts";
import { writeHello, writeLoggingHello } from "./hello.ts";
import { type LoadFigures, type LoadSettings, load, startPave, startRaw, type Target } from "./http.ts";
import { measureInstances } from "./instances.ts";
import { measureQueries } from "./queries.ts";
import {
  clusterTable,
  cpuLine,
  failures,
  queriesTable,
  queryReport,
  type Report,
  recordingCpuLine,
  TARGETS,
  table,
} from "./report.ts";
import { measureRuntime } from "./runtime.ts";
import { startWorkerd } from "./workerd.ts";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    "cpu-prof": { type: "string" },
    /**
     * `queries`: only the store's query figures (they need no server and take a minute to seed). `cluster`: only the
     * scale-out figures on a throwaway PostgreSQL (1, 2, 3 nodes; PostgreSQL vs SQLite gateway).
     */
    only: { type: "string" },
  },
});

interface Round {
  raw: LoadFigures;
  pave: LoadFigures;
  workerd: LoadFigures;
  /** The logging hello with recording on and off: what activations, logs, metrics and spans cost. */
  recorded: LoadFigures;
  unrecorded: LoadFigures;
}

async function main(): Promise<void> {
  const quick = args.quick === true;
  const settings: LoadSettings = {
    connections: 16,
    pipelining: 1,
    // Short turns, many rounds: the two sides of a ratio are measured seconds apart, on a machine whose speed drifts
    // over minutes; the median of 8 rounds shrugs off a round a neighbour spoiled.
    durationS: 2,
    warmupS: quick ? 1 : 2,
    rounds: quick ? 1 : 8,
  };
  // The machine is shared: the 1-minute load average says how much to trust the absolute figures.
  const load1m = loadavg()[0] ?? 0;
  const tmp = await mkdtemp(join(tmpdir(), "pave-bench-"));
  // A signal ends the bench through process.exit (see children.ts), past the `finally` below.
  process.once("exit", () => rmSync(tmp, { recursive: true, force: true }));
  const targets: Target[] = [];
  try {
    const queries = async () => {
      const scale = quick
        ? { activations: 200_000, lines: 200_000, otherLines: 40_000, runs: 3 }
        : { activations: 1_000_000, lines: 1_000_000, otherLines: 200_000, runs: 5 };
      progress(
        `store queries: seeding ${scale.activations} activations and ${scale.lines + scale.otherLines} log lines`,
      );
      return queryReport(await measureQueries(join(tmp, "queries.db"), scale));
    };
    if (args.only === "queries") {
      const q = await queries();
      process.stdout.write(args.json ? `${JSON.stringify(q, null, 2)}\n` : queriesTable(q));
      return;
    }
    const fnDir = join(tmp, "hello");
    await mkdir(fnDir);
    await writeHello(fnDir);
    const cluster = () => {
      progress("cluster: a throwaway PostgreSQL and pave nodes on it");
      return measureCluster(tmp, fnDir, quick, { ...settings, rounds: quick ? 1 : 3 }, progress);
    };
    if (args.only === "cluster") {
      const c = await cluster();
      process.stdout.write(args.json ? `${JSON.stringify(c, null, 2)}\n` : clusterTable(c));
      return;
    }
    /** Rounds of raw node:http, pave, workerd and pave recording on/off, measured side by side. */
    const http = async () => {
      const cpuProf = args["cpu-prof"] === undefined ? undefined : resolve(args["cpu-prof"]);
      const rawTarget = await startRaw();
      targets.push(rawTarget);
      const paveTarget = await startPave(tmp, fnDir, { cpuProfDir: cpuProf });
      targets.push(paveTarget);
      const workerdTarget = await startWorkerd(tmp, fnDir);
      targets.push(workerdTarget);
      const logDir = join(tmp, "hello-log");
      await mkdir(logDir);
      await writeLoggingHello(logDir);
      progress(`http: warm-up (${settings.warmupS} s each)`);
      for (const t of targets) await load(t, settings, settings.warmupS);
      const rounds: Round[] = [];
      for (let i = 1; i <= settings.rounds; i++) {
        // The recording pair is started again every round, each on its own store: a process keeps its own speed for
        // its whole life (V8's collections and compiled code settle differently in each; two servers of one build
        // have differed by ±5% over a whole run), which a median over the rounds of one pair could not shrug off. One
        // cause seen: about one process in ten runs Node's stream internals (nextTick's tick objects, endReadable,
        // onwrite) through V8's runtime for every property they add, ~3 µs a request, from start to end.
        progress(`http: round ${i}/${settings.rounds}: starting pave with recording on, and with it off`);
        const recordedTarget = await startPave(tmp, logDir, { fn: "hello-log", data: join(tmp, "data-recorded") });
        targets.push(recordedTarget);
        const unrecordedTarget = await startPave(tmp, logDir, {
          fn: "hello-log",
          record: false,
          data: join(tmp, "data-unrecorded"),
        });
        targets.push(unrecordedTarget);
        // Twice the others' warm-up: a new process compiles its hot paths, the flush's among them, as it goes.
        for (const t of [recordedTarget, unrecordedTarget]) await load(t, settings, 2 * settings.warmupS);
        progress(
          `http: round ${i}/${settings.rounds}, raw node:http, pave, workerd, pave recording on/off (${settings.durationS} s each)`,
        );
        // Every other round runs the targets in reverse, so a machine that slows or speeds up over a round favours
        // neither side of a ratio.
        const order = [rawTarget, paveTarget, workerdTarget, recordedTarget, unrecordedTarget];
        const figures = new Map<Target, LoadFigures>();
        for (const t of i % 2 === 0 ? order.reverse() : order)
          figures.set(t, await load(t, settings, settings.durationS));
        const of = (t: Target) => figures.get(t) as LoadFigures;
        rounds.push({
          raw: of(rawTarget),
          pave: of(paveTarget),
          workerd: of(workerdTarget),
          recorded: of(recordedTarget),
          unrecorded: of(unrecordedTarget),
        });
        for (const t of [recordedTarget, unrecordedTarget]) {
          await t.stop();
          targets.splice(targets.indexOf(t), 1);
        }
      }
      for (const t of targets) await t.stop();
      targets.length = 0;
      return { rounds, workerdVersion: workerdTarget.version };
    };
    if (args.only === "http") {
      const { rounds } = await http();
      const lines = rounds.map(
        (r, i) =>
          `round ${i + 1}: raw ${r.raw.requestsPerSec} req/s, pave ${r.pave.requestsPerSec} (${ratio(r.pave, r.raw)} of raw, ${ratio(r.pave, r.workerd)} of workerd), recording costs ${costOf(r)}; CPU µs/request on the busiest thread ${cpuLine("busiestThreadUs", r.raw, r.pave, r.workerd)}, all threads ${cpuLine("allThreadsUs", r.raw, r.pave, r.workerd)}; recording adds ${recordingCpuLine(r.recorded, r.unrecorded)}`,
      );
      process.stdout.write(args.json ? `${JSON.stringify(rounds, null, 2)}\n` : `${lines.join("\n")}\n`);
      return;
    }
    if (args.only !== undefined) {
      throw new Error(`--only takes "queries", "cluster" or "http", not ${JSON.stringify(args.only)}`);
    }
    progress("runtime: cold starts and warm invokes");
    const runtime = await measureRuntime(fnDir, quick ? { cold: 50, warm: 300 } : { cold: 300, warm: 2000 });
    const count = quick ? 200 : 1000;
    progress(`memory: ${count} warm instances in a child process`);
    const instances = await measureInstances(fnDir, count);

    progress("topics: durable publish and publish → handler latency");
    const events = await measureEvents(tmp, quick);

    const { rounds, workerdVersion } = await http();
    // A median round stands for the run: the figures it divides were measured side by side.
    const toRaw = (r: Round) => ratio(r.pave, r.raw);
    const toWorkerd = (r: Round) => ratio(r.pave, r.workerd);
    const { raw, pave } = medianBy(rounds, toRaw);
    const paveToRaw = ratio(pave, raw);
    const overWorkerd = medianBy(rounds, toWorkerd);
    const flagged = rounds.some((r) => failures(r.raw) + failures(r.pave) > 0);
    const recording = medianBy(rounds, costOf);
    const recordingFlagged = rounds.some((r) => failures(r.recorded) + failures(r.unrecorded) > 0);
    // After the HTTP rounds, so seeding a million rows does not warm or load the machine under them.
    const queryFigures = await queries();
    const clusterFigures = await cluster();
    const coldP99 = runtime.coldStartCodeCache.p99Ms;
    const report: Report = {
      quick,
      node: process.version,
      loadAvg1m: Math.round(load1m * 100) / 100,
      ...runtime,
      instances,
      events,
      http: {
        settings,
        raw,
        pave,
        ratio: paveToRaw,
        rounds: rounds.map(toRaw),
        flagged,
        workerd: {
          version: workerdVersion,
          figures: overWorkerd.workerd,
          ratio: toWorkerd(overWorkerd),
          rounds: rounds.map(toWorkerd),
          flagged: rounds.some((r) => failures(r.pave) + failures(r.workerd) > 0),
        },
      },
      recording: {
        on: recording.recorded,
        off: recording.unrecorded,
        cost: costOf(recording),
        rounds: rounds.map(costOf),
        flagged: recordingFlagged,
      },
      queries: queryFigures,
      cluster: clusterFigures,
      targets: {
        recordingCost: {
          target: `< ${TARGETS.recordingCost * 100}%`,
          value: costOf(recording),
          pass: !recordingFlagged && costOf(recording) < TARGETS.recordingCost,
        },
        coldStartP99Ms: {
          target: `< ${TARGETS.coldStartP99Ms}`,
          value: coldP99,
          pass: coldP99 < TARGETS.coldStartP99Ms,
        },
        throughputRatio: {
          target: `>= ${TARGETS.throughputRatio}`,
          value: paveToRaw,
          pass: !flagged && paveToRaw >= TARGETS.throughputRatio,
        },
        rssPerInstanceMiB: {
          target: `<= ${TARGETS.rssPerInstanceMiB} MiB`,
          value: instances.rssPerInstanceMiB,
          pass: instances.rssPerInstanceMiB <= TARGETS.rssPerInstanceMiB,
        },
        publishSinglePerSec: {
          target: `>= ${TARGETS.publishSinglePerSec}`,
          value: events.publishSinglePerSec,
          pass: events.publishSinglePerSec >= TARGETS.publishSinglePerSec,
        },
        publishBatchedPerSec: {
          target: `>= ${TARGETS.publishBatchedPerSec}`,
          value: events.publishBatchedPerSec,
          pass: events.publishBatchedPerSec >= TARGETS.publishBatchedPerSec,
        },
        deliveryP99Ms: {
          target: `< ${TARGETS.deliveryP99Ms} ms`,
          value: events.deliveryLatency.p99Ms,
          pass: events.deliveryLatency.p99Ms < TARGETS.deliveryP99Ms,
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

/** What recording costs: the share of throughput lost with it on. */
function costOf(r: Round): number {
  return Math.round((1 - r.recorded.requestsPerSec / r.unrecorded.requestsPerSec) * 1000) / 1000;
}

function ratio(a: LoadFigures, b: LoadFigures): number {
  return Math.round((a.requestsPerSec / b.requestsPerSec) * 1000) / 1000;
}

function medianBy<T>(items: T[], key: (item: T) => number): T {
  return [...items].sort((a, b) => key(a) - key(b))[Math.floor(items.length / 2)]!;
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
