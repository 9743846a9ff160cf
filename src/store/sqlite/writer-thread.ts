// The body of the SQLite activation writer's worker thread: its own connection to the same file (WAL lets the
// server's connection read meanwhile), one transaction per batch, and an answer per batch.
import { parentPort, workerData } from "node:worker_threads";
import SQLite from "better-sqlite3";
import type { WriterRequest, WriterResponse, WriterSetup } from "./writer.ts";

const { path, activationSql, logSql, spanSql, rollupSql } = workerData as WriterSetup;
const db = new SQLite(path);
db.pragma("synchronous = NORMAL");
db.pragma("busy_timeout = 5000");
// Each batch updates several indexes at scattered keys (correlation and trace ids); SQLite's default 2 MiB page cache
// sent most of those updates to the file. 32 MiB keeps the hot index pages in memory.
db.pragma("cache_size = -32768");
const activation = db.prepare(activationSql);
const log = db.prepare(logSql);
const span = db.prepare(spanSql);
const rollup = db.prepare(rollupSql);
// Rollups commit with the activations they sum, so the two never disagree.
const write = db.transaction(
  (activations: unknown[][], logs: unknown[][], spans: unknown[][], rollups: unknown[][]) => {
    for (const row of activations) activation.run(row);
    for (const row of logs) log.run(row);
    for (const row of spans) span.run(row);
    for (const row of rollups) rollup.run(row);
  },
);

const port = parentPort!;
port.on("message", (m: WriterRequest) => {
  if (m.kind === "close") {
    db.close();
    port.close();
    return;
  }
  let answer: WriterResponse;
  try {
    const [activations, logs, spans, rollups] = JSON.parse(m.batch) as unknown[][][];
    write(activations as unknown[][], logs as unknown[][], spans as unknown[][], rollups as unknown[][]);
    answer = { seq: m.seq };
  } catch (err) {
    answer = { seq: m.seq, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(answer);
});
