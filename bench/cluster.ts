// Scale-out figures on a throwaway PostgreSQL (test/store/pg-cluster.ts): async event throughput with 1, 2 and 3
// `pave up` nodes on one database, as a ratio to one node; and one node's gateway on PostgreSQL as a ratio to SQLite.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { PaveClient } from "../src/client/index.ts";
import { pgMissing, startPgCluster } from "../test/store/pg-cluster.ts";
import { type Child, freePort, PAVE, start, stop, waitUntil } from "./children.ts";
import { type LoadFigures, type LoadSettings, load, startPave, type Target } from "./http.ts";

export interface ClusterFigures {
  /** The 1-minute load average as the section started: the machine is shared, and so is its noise. */
  loadAvg1m: number;
  /** Events published (in batches of `batchSize`, `publishers` at a time, round-robin over the nodes) per run. */
  events: number;
  batchSize: number;
  publishers: number;
  /** From the first publish to the last event acked by the subscriber, with each node count. */
  throughput: { nodes: number; seconds: number; eventsPerSec: number }[];
  /** eventsPerSec with 2 and 3 nodes over eventsPerSec with 1. */
  scaling: { nodes: number; ratio: number }[];
  gateway: {
    settings: LoadSettings;
    /** The round whose postgres/sqlite ratio is the median. */
    postgres: LoadFigures;
    sqlite: LoadFigures;
    /** One node on PostgreSQL over one node on SQLite, requests/s, the median of the rounds. */
    ratio: number;
    rounds: number[];
    flagged: boolean;
  };
}

export type ClusterReport = ClusterFigures | { skipped: string };

const SUBSCRIBER_YAML = `name: sink
entry: index.ts
timeout: 5s
concurrency: 16
subscriptions:
  - topic: work
    batchSize: 100
    maxConcurrency: 8
`;
/** Trivial: every message is acked by returning. What is measured is claiming, running and acking batches. */
const SUBSCRIBER = `export default { async queue(batch) {} };`;

/** Needs PostgreSQL's binaries (initdb, pg_ctl); without them the section says so and is skipped. */
export async function measureCluster(
  tmp: string,
  fnDir: string,
  quick: boolean,
  settings: LoadSettings,
  progress: (line: string) => void,
): Promise<ClusterReport> {
  if (pgMissing) return { skipped: pgMissing };
  const loadAvg1m = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  const cluster = await startPgCluster();
  const nodes: Child[] = [];
  const admin = new pg.Pool({ connectionString: cluster.url("postgres"), max: 1 });
  try {
    await admin.query("CREATE DATABASE events");
    await admin.query("CREATE DATABASE gateway");
    const events = quick ? 3000 : 20_000;
    const throughput = await measureThroughput(cluster.url("events"), tmp, events, nodes, progress);
    const one = throughput[0]?.eventsPerSec ?? 0;
    for (const n of nodes.splice(0)) await stop(n);
    const gateway = await measureGateway(cluster.url("gateway"), tmp, fnDir, settings, progress);
    return {
      loadAvg1m,
      events,
      batchSize: 100,
      publishers: 4,
      throughput,
      scaling: throughput.slice(1).map((t) => ({ nodes: t.nodes, ratio: round(t.eventsPerSec / one) })),
      gateway,
    };
  } finally {
    await Promise.all(nodes.map(stop));
    await admin.end();
    await cluster.stop();
  }
}

async function measureThroughput(
  url: string,
  tmp: string,
  events: number,
  nodes: Child[],
  progress: (line: string) => void,
): Promise<ClusterFigures["throughput"]> {
  const db = new pg.Pool({ connectionString: url, max: 1 });
  db.on("error", () => {});
  // Every node needs the same master key; a fixed one is fine for a throwaway database.
  const masterKey = Buffer.alloc(32, 7).toString("base64");
  const urls: string[] = [];
  const addNode = async () => {
    const port = await freePort();
    const data = join(tmp, `cluster-node-${port}`);
    const args = [...PAVE, "up", "--port", String(port), "--data", data];
    const child = start([...args, "--store", url, "--log-level", "warn"], {
      PAVE_MASTER_KEY: masterKey,
      PAVE_CONFIG: join(tmp, `config-${port}.json`),
    });
    nodes.push(child);
    const base = `http://127.0.0.1:${port}`;
    await waitUntil("pave up (postgres)", child, async () => (await fetch(`${base}/readyz`)).ok, 60_000);
    urls.push(base);
  };
  try {
    await addNode();
    // The first node created the admin token; the others share the database, so it is good on all of them.
    const token = (
      await readFile(join(tmp, `cluster-node-${new URL(urls[0] as string).port}`, "admin-token"), "utf8")
    ).trim();
    const first = new PaveClient({ url: urls[0] as string, token });
    await first.createTopic("work");
    const fnDir = join(tmp, "cluster-sink");
    await mkdir(fnDir, { recursive: true });
    await writeFile(join(fnDir, "pave.yaml"), SUBSCRIBER_YAML);
    await writeFile(join(fnDir, "index.ts"), SUBSCRIBER);
    // Deployed before the other nodes start: a node loads subscriptions at its start (and on deploys through it).
    await first.deploy(fnDir);
    const acked = async () =>
      Number(
        (await db.query<{ n: string }>("SELECT count(*) AS n FROM deliveries WHERE queue = 'work' AND state = 'acked'"))
          .rows[0]?.n,
      );
    /** Publishes `n` events round-robin over the nodes and waits until all are acked; seconds from start to end. */
    const run = async (n: number): Promise<number> => {
      const clients = urls.map((u) => new PaveClient({ url: u, token }));
      const batch = Array.from({ length: 100 }, (_, i) => ({ data: { i } }));
      const before = await acked();
      const t0 = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let b = next++; b < n / 100; b = next++)
            await clients[b % clients.length]?.publish("work", { events: batch });
        }),
      );
      const deadline = Date.now() + 120_000;
      while ((await acked()) < before + n) {
        if (Date.now() > deadline) throw new Error(`${n} events were not consumed within 120 s`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return (performance.now() - t0) / 1000;
    };
    const figures: ClusterFigures["throughput"] = [];
    for (let count = 1; count <= 3; count++) {
      if (count > 1) await addNode();
      progress(
        `cluster: async events through ${count} node${count > 1 ? "s" : ""} on one PostgreSQL (${events} events)`,
      );
      // Unmeasured: JIT, the subscriber's first instances, the pool's connections on the new node.
      await run(500);
      const seconds = await run(events);
      figures.push({ nodes: count, seconds: round(seconds), eventsPerSec: Math.round(events / seconds) });
    }
    return figures;
  } finally {
    await db.end();
  }
}

async function measureGateway(
  url: string,
  tmp: string,
  fnDir: string,
  settings: LoadSettings,
  progress: (line: string) => void,
): Promise<ClusterFigures["gateway"]> {
  const targets: Target[] = [];
  try {
    const postgres = await startPave(tmp, fnDir, { store: url });
    targets.push(postgres);
    const sqlite = await startPave(tmp, fnDir);
    targets.push(sqlite);
    progress(`cluster: gateway warm-up, one node on PostgreSQL and one on SQLite (${settings.warmupS} s each)`);
    for (const t of targets) await load(t, settings, settings.warmupS);
    const rounds: { postgres: LoadFigures; sqlite: LoadFigures }[] = [];
    for (let i = 1; i <= settings.rounds; i++) {
      progress(`cluster: gateway round ${i}/${settings.rounds}, PostgreSQL then SQLite (${settings.durationS} s each)`);
      rounds.push({
        postgres: await load(postgres, settings, settings.durationS),
        sqlite: await load(sqlite, settings, settings.durationS),
      });
    }
    const ratioOf = (r: (typeof rounds)[number]) => round(r.postgres.requestsPerSec / r.sqlite.requestsPerSec);
    const median = [...rounds].sort((a, b) => ratioOf(a) - ratioOf(b))[Math.floor(rounds.length / 2)]!;
    const failed = (f: LoadFigures) => f.non2xx + f.errors + f.timeouts > 0;
    return {
      settings,
      postgres: median.postgres,
      sqlite: median.sqlite,
      ratio: ratioOf(median),
      rounds: rounds.map(ratioOf),
      flagged: rounds.some((r) => failed(r.postgres) || failed(r.sqlite)),
    };
  } finally {
    await Promise.all(targets.map((t) => t.stop()));
  }
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
