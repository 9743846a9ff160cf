// Query figures of the telemetry store: a function's last 100 activations among a million, and a `--grep` over a
// million log lines of one function in the last hour. A real SQLite file store, seeded through its own insert path.
import { performance } from "node:perf_hooks";
import { type Activation, type LogLine, openStore, type Store } from "../src/store/index.ts";

export interface QueryFigures {
  activations: number;
  functions: number;
  /** Lines of the grepped function, all within the last hour; `otherLines` belong to other functions. */
  lines: number;
  otherLines: number;
  seedS: number;
  /** Median of the runs, ms. */
  lastActivationsMs: number;
  /** The same for the function that logs (its lines are in its activations' rows, and decoded with them). */
  lastLoggingActivationsMs: number;
  grepHourMs: number;
  /** How many lines the grep found (the needle is rare, so the query must scan the hour). */
  grepMatches: number;
  runs: number;
}

const ENV = "prod";
const HOUR = 3_600_000;
/** One line in NEEDLE_EVERY carries the needle: rare enough that a limit of 1000 never stops the scan early. */
const NEEDLE = "needle-7f3a";
const NEEDLE_EVERY = 50_000;
const BATCH = 20_000;

export async function measureQueries(
  path: string,
  scale: { activations: number; lines: number; otherLines: number; runs: number },
): Promise<QueryFigures> {
  const store = await openStore(`sqlite:${path}`);
  try {
    const now = Date.now();
    const t0 = performance.now();
    await seed(store, now, scale);
    const seedS = Math.round((performance.now() - t0) / 100) / 10;
    const target = fnName(0);
    const lastActivations = await median(scale.runs * 4, () =>
      store.listActivations({ env: ENV, function: fnName(37), limit: 100 }),
    );
    const lastLoggingActivations = await median(scale.runs * 4, () =>
      store.listActivations({ env: ENV, function: target, limit: 100 }),
    );
    let grepMatches = 0;
    const grepHour = await median(scale.runs, async () => {
      const found = await store.listLogs({ env: ENV, function: target, since: now - HOUR, grep: NEEDLE, limit: 1000 });
      grepMatches = found.length;
      return found;
    });
    return {
      activations: scale.activations,
      functions: FUNCTIONS,
      lines: scale.lines,
      otherLines: scale.otherLines,
      seedS,
      lastActivationsMs: lastActivations,
      lastLoggingActivationsMs: lastLoggingActivations,
      grepHourMs: grepHour,
      grepMatches,
      runs: scale.runs,
    };
  } finally {
    await store.close();
  }
}

const FUNCTIONS = 100;

function fnName(i: number): string {
  return `fn-${String(i).padStart(3, "0")}`;
}

/** A UUIDv7 of millisecond `ms` whose low bits are `seq`: unique and time-ordered like the gateway's. */
function uuidAt(ms: number, seq: number): string {
  const t = ms.toString(16).padStart(12, "0");
  const s = seq.toString(16).padStart(15, "0");
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${s.slice(0, 3)}-8${s.slice(3, 6)}-${s.slice(6, 15)}000`;
}

/**
 * Activations spread over the last hour across FUNCTIONS functions, in batches; fn-000's log `lines` between them (a
 * function that logs a great deal: ~100 lines an invocation at full scale), the others' `otherLines`.
 */
async function seed(
  store: Store,
  now: number,
  scale: { activations: number; lines: number; otherLines: number },
): Promise<void> {
  const start = now - HOUR + 1000;
  const step = (HOUR - 2000) / scale.activations;
  const mineTotal = Math.ceil(scale.activations / FUNCTIONS);
  const otherTotal = scale.activations - mineTotal;
  let [mine, others, mineLines, otherLines] = [0, 0, 0, 0];
  let pending: Activation[] = [];
  let logs: LogLine[] = [];
  let inflight: Promise<void> = Promise.resolve();
  for (let i = 0; i < scale.activations; i++) {
    const ts = Math.floor(start + i * step);
    const fn = fnName(i % FUNCTIONS);
    const a = activation(uuidAt(ts, i), fn, ts, i);
    pending.push(a);
    // A line is stored in its activation's row: each activation logs its share, spread evenly.
    if (i % FUNCTIONS === 0) {
      const due = Math.floor((++mine * scale.lines) / mineTotal);
      while (mineLines < due) logs.push(line(a, ts, mineLines++));
    } else {
      const due = Math.floor((++others * scale.otherLines) / otherTotal);
      // Numbered apart from fn-000's, so the needle's frequency in fn-000 stays NEEDLE_EVERY.
      while (otherLines < due) logs.push(line(a, ts, -1 - otherLines++));
    }
    if (pending.length >= BATCH) {
      // One batch in flight while the next is built: the writer thread commits as this one generates.
      await inflight;
      inflight = store.insertActivations(pending, logs);
      pending = [];
      logs = [];
    }
  }
  await inflight;
  await store.insertActivations(pending, logs);
}

function activation(id: string, fn: string, ts: number, i: number): Activation {
  const error = i % 50 === 0;
  return {
    id,
    env: ENV,
    function: fn,
    version: "3f2a9c1b",
    trigger: "http",
    startedAt: ts,
    durationMs: 1.5 + (i % 40),
    billedMs: 2 + (i % 40),
    memoryMb: 128,
    status: error ? "error" : "success",
    errorCode: error ? "FunctionError" : null,
    errorMessage: error ? "TypeError: cannot read properties of undefined" : null,
    httpStatus: error ? 500 : 200,
    cold: i % 100 === 0,
    traceId: id.replace(/-/g, ""),
    correlationId: `req-${i}`,
    logsDropped: 0,
    cpuMs: 1,
    gbSeconds: 0.0003,
    egress: [],
  };
}

/** Line `n` of fn-000 (n ≥ 0) or of another function (n < 0): one of fn-000's in NEEDLE_EVERY holds the needle. */
function line(a: Activation, ts: number, n: number): LogLine {
  const needle = n % NEEDLE_EVERY === NEEDLE_EVERY - 1 ? ` ${NEEDLE}` : "";
  const structured = n % 3 === 0;
  return {
    activationId: a.id,
    env: ENV,
    function: a.function,
    version: a.version,
    ts,
    level: n % 20 === 0 ? "warn" : "info",
    message: structured ? `order processed${needle}` : `GET /api/orders/${n} answered 200 in ${n % 97} ms${needle}`,
    fields: structured ? { orderId: n, amount: (n % 1000) / 10, customer: `c-${n % 5000}` } : null,
    traceId: a.traceId,
    correlationId: a.correlationId,
  };
}

async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return Math.round((times[Math.floor(times.length / 2)] ?? 0) * 100) / 100;
}
