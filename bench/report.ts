// What `npm run bench` reports: the figures, their targets, and the table a person reads (`--json` prints the object).
// One line per figure; the note column says PASS or MISS against the target, or why a figure is not to be trusted.

import { cpus } from "node:os";
import type { ClusterReport } from "./cluster.ts";
import type { CpuFigures } from "./cpu.ts";
import type { EventFigures } from "./events.ts";
import type { LoadFigures, LoadSettings } from "./http.ts";
import type { InstanceFigures } from "./instances.ts";
import type { QueryFigures } from "./queries.ts";
import type { Latency, RuntimeFigures } from "./runtime.ts";

export const TARGETS = {
  coldStartP99Ms: 5,
  throughputRatio: 0.5,
  rssPerInstanceMiB: 2,
  /** The share of gateway throughput that recording activations, logs, metrics and spans may cost. */
  recordingCost: 0.1,
  /** Durable publish through the API on SQLite, events/s. */
  publishSinglePerSec: 1000,
  publishBatchedPerSec: 10_000,
  /** Publish → queue handler start, one event at a time (ms). */
  deliveryP99Ms: 100,
};

/** The telemetry store's query targets (ms), at 1,000,000 activations and 1,000,000 lines of one function. */
export const QUERY_TARGETS = { lastActivationsMs: 50, lastLoggingActivationsMs: 50, grepHourMs: 500 };

export interface Mark {
  target: string;
  value: number;
  pass: boolean;
}

export type Report = RuntimeFigures & {
  quick: boolean;
  node: string;
  loadAvg1m: number;
  instances: InstanceFigures;
  events: EventFigures;
  http: {
    settings: LoadSettings;
    /** raw and pave: the round whose pave/raw ratio is the median. */
    raw: LoadFigures;
    pave: LoadFigures;
    /** Pave's requests/s over raw node:http's, the median of the rounds. */
    ratio: number;
    rounds: number[];
    /** Some request failed in a raw or pave turn: the ratio is not to be trusted. */
    flagged: boolean;
    workerd: {
      /** The binary's version, which is also the compatibility date the worker runs with. */
      version: string;
      /** The round whose pave/workerd ratio is the median. */
      figures: LoadFigures;
      /** Pave's requests/s over workerd's, the median of the rounds. No target. */
      ratio: number;
      rounds: number[];
      flagged: boolean;
    };
  };
  /** A function that logs one structured line per request, served with recording on and off (`--no-record`). */
  recording: {
    on: LoadFigures;
    off: LoadFigures;
    /** 1 − on/off in requests/s: the share of throughput recording costs, the median of the rounds. */
    cost: number;
    rounds: number[];
    flagged: boolean;
  };
  targets: Record<keyof typeof TARGETS, Mark>;
  queries: QueryReport;
  cluster: ClusterReport;
};

export type QueryReport = QueryFigures & { targets: Record<keyof typeof QUERY_TARGETS, Mark> };

export function queryReport(q: QueryFigures): QueryReport {
  const mark = (value: number, target: number): Mark => ({ target: `< ${target} ms`, value, pass: value < target });
  return {
    ...q,
    targets: {
      lastActivationsMs: mark(q.lastActivationsMs, QUERY_TARGETS.lastActivationsMs),
      lastLoggingActivationsMs: mark(q.lastLoggingActivationsMs, QUERY_TARGETS.lastLoggingActivationsMs),
      grepHourMs: mark(q.grepHourMs, QUERY_TARGETS.grepHourMs),
    },
  };
}

/** The store's section of the table; a reduced scale (quick mode) is said in the heading and on each mark. */
export function queriesTable(q: QueryReport): string {
  const full = q.activations >= 1_000_000 && q.lines >= 1_000_000;
  const scale = full ? "" : " — REDUCED SCALE, targets are for 1,000,000";
  const mark = (t: Mark) => `${t.pass ? "PASS" : "MISS"} (target ${t.target}${full ? "" : " at full scale"})`;
  return [
    `store queries, SQLite file: ${count(q.activations)} activations over ${q.functions} functions, ${count(q.lines)} log lines of one function in the last hour + ${count(q.otherLines)} of others (seeded in ${q.seedS} s; median of ${q.runs} runs)${scale}`,
    row("last 100 activations", ms(q.lastActivationsMs), mark(q.targets.lastActivationsMs)),
    row(
      "… of the logging function",
      `${ms(q.lastLoggingActivationsMs)}  (${Math.round(q.lines / Math.ceil(q.activations / q.functions))} lines each)`,
      mark(q.targets.lastLoggingActivationsMs),
    ),
    row("--grep, last hour", `${ms(q.grepHourMs)}  (${q.grepMatches} matches)`, mark(q.targets.grepHourMs)),
    "",
  ].join("\n");
}

/**
 * The scale-out section. The issue sets no number for these: the ratios are printed without a verdict, beside the
 * ideal (n nodes → n×) that a machine with cores to spare for every node and the database would approach.
 */
export function clusterTable(c: ClusterReport): string {
  if ("skipped" in c) return ["scale-out on PostgreSQL", row("skipped", c.skipped), ""].join("\n");
  const g = c.gateway;
  const s = g.settings;
  const http = (name: string, f: LoadFigures) =>
    row(
      name,
      `${f.requestsPerSec} req/s  p50 ${f.p50Ms} ms  p99 ${f.p99Ms} ms`,
      failures(f) > 0 ? `FLAGGED: ${f.non2xx} non-2xx, ${f.errors} errors, ${f.timeouts} timeouts` : "",
    );
  return [
    `scale-out on PostgreSQL: async events, ${count(c.events)} published in batches of ${c.batchSize} by ${c.publishers} publishers round-robin over the nodes, until all are acked; ${cpus().length} cores shared by the nodes, the database and the bench (load avg ${c.loadAvg1m})`,
    ...c.throughput.map((t) =>
      row(`${t.nodes} node${t.nodes > 1 ? "s" : ""}`, `${t.eventsPerSec} events/s  (${t.seconds} s)`),
    ),
    ...c.scaling.map((x) => row(`${x.nodes} nodes / 1 node`, `${x.ratio}`, `no target (ideal ${x.nodes})`)),
    "",
    `gateway, one node: GET /fn/hello/ on PostgreSQL vs SQLite, autocannon ${s.connections} connections, ${s.rounds} × ${s.durationS} s turns after ${s.warmupS} s warm-up (median round)`,
    http("pave on PostgreSQL", g.postgres),
    http("pave on SQLite", g.sqlite),
    row(
      "PostgreSQL / SQLite",
      `${g.ratio}  (rounds: ${g.rounds.join(", ")})`,
      g.flagged ? "FLAGGED: failed requests, see above" : "no target",
    ),
    "",
  ].join("\n");
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

export function failures(f: LoadFigures): number {
  return f.non2xx + f.errors + f.timeouts;
}

export function table(r: Report): string {
  const mark = (t: Mark) => `${t.pass ? "PASS" : "MISS"} (target ${t.target})`;
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
  const w = r.http.workerd;
  const m = r.instances;
  return [
    `pave bench${r.quick ? " (quick)" : ""} · node ${r.node} · load avg ${r.loadAvg1m} · targets are reported, not enforced`,
    "",
    "runtime, in-process (ms from invoke to result)",
    lat("cold start, code cached", r.coldStartCodeCache, `p99 ${mark(r.targets.coldStartP99Ms)}`),
    lat("cold start, after retire", r.coldStartAfterRetire),
    lat("cold start, first load", r.coldStartFirstLoad),
    lat("warm invoke", r.warmInvoke),
    "",
    `memory, ${m.instances} warm hello instances (distinct functions) in a child process, RSS after GC`,
    row("RSS per warm instance", `${m.rssPerInstanceMiB} MiB`, mark(r.targets.rssPerInstanceMiB)),
    row("RSS before → after", `${m.rssBeforeMiB} → ${m.rssAfterMiB} MiB`),
    row("host heap per instance", `${m.hostHeapPerInstanceKiB} KiB`, "isolate heaps: no runtime accessor"),
    row("cold start each, in turn", ms(m.createMsPerInstance)),
    "",
    `topics, through the API on SQLite (${r.events.concurrency} publishers; batches of ${r.events.batchSize} from 4)`,
    row("durable publish, single", `${r.events.publishSinglePerSec} events/s`, mark(r.targets.publishSinglePerSec)),
    row("durable publish, batched", `${r.events.publishBatchedPerSec} events/s`, mark(r.targets.publishBatchedPerSec)),
    lat("publish → handler start", r.events.deliveryLatency, `p99 ${mark(r.targets.deliveryP99Ms)}`),
    "",
    `http, autocannon ${s.connections} connections × pipelining ${s.pipelining}, ${s.rounds} × ${s.durationS} s turns after ${s.warmupS} s warm-up (median rounds)`,
    http("raw node:http", r.http.raw),
    http("pave GET /fn/hello/", r.http.pave),
    http(`workerd ${w.version}`, w.figures),
    row("CPU µs/req, busiest thread", cpuLine("busiestThreadUs", r.http.raw, r.http.pave, w.figures)),
    row("CPU µs/req, all threads", cpuLine("allThreadsUs", r.http.raw, r.http.pave, w.figures)),
    row("pave / raw", `${r.http.ratio}  (rounds: ${r.http.rounds.join(", ")})`, mark(r.targets.throughputRatio)),
    row(
      "pave / workerd",
      `${w.ratio}  (rounds: ${w.rounds.join(", ")})`,
      w.flagged ? "FLAGGED: failed requests, see above" : "no target",
    ),
    http("recording on (logs 1 line)", r.recording.on),
    http("recording off", r.recording.off),
    row("recording's CPU µs/req", recordingCpuLine(r.recording.on, r.recording.off)),
    row(
      "recording cost (a new pair each round)",
      `${(r.recording.cost * 100).toFixed(1)}%  (rounds: ${r.recording.rounds.map((c) => `${(c * 100).toFixed(1)}%`).join(", ")})`,
      r.recording.flagged ? "FLAGGED: failed requests, see above" : mark(r.targets.recordingCost),
    ),
    "",
    queriesTable(r.queries),
    clusterTable(r.cluster),
  ].join("\n");
}

/** The CPU per request that recording adds, on the gateway's thread and on all threads (see bench/cpu.ts). */
export function recordingCpuLine(on: LoadFigures, off: LoadFigures): string {
  if (!on.cpu || !off.cpu) return "not measured (no /proc)";
  const more = (a: number, b: number) => `${a - b >= 0 ? "+" : ""}${Math.round((a - b) * 10) / 10}`;
  return `gateway thread ${more(on.cpu.busiestThreadUs, off.cpu.busiestThreadUs)} · all threads ${more(on.cpu.allThreadsUs, off.cpu.allThreadsUs)}`;
}

/** One CPU figure per request (see bench/cpu.ts) of each server. */
export function cpuLine(figure: keyof CpuFigures, raw: LoadFigures, pave: LoadFigures, workerd: LoadFigures): string {
  const one = (name: string, f: LoadFigures) => (f.cpu ? [`${name} ${f.cpu[figure]}`] : []);
  return (
    [...one("raw", raw), ...one("pave", pave), ...one("workerd", workerd)].join(" · ") || "not measured (no /proc)"
  );
}

function row(name: string, figures: string, note = ""): string {
  return `  ${name.padEnd(26)}  ${figures.padEnd(46)}  ${note}`.trimEnd();
}

function ms(v: number): string {
  return `${v.toFixed(2)} ms`;
}
