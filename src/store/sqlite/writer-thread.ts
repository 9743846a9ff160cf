// The body of the SQLite activation writer's worker thread: its own connection to the same file (WAL lets the
// server's connection read meanwhile), one transaction per batch, and an answer per batch.
import { parentPort, workerData } from "node:worker_threads";
import SQLite from "better-sqlite3";
import type { WriterRequest, WriterResponse, WriterSetup } from "./writer.ts";

const { path, activationSql, logSql, spanSql } = workerData as WriterSetup;
const db = new SQLite(path);
db.pragma("synchronous = NORMAL");
db.pragma("busy_timeout = 5000");
const activation = db.prepare(activationSql);
const log = db.prepare(logSql);
const span = db.prepare(spanSql);
const write = db.transaction((activations: unknown[][], logs: unknown[][], spans: unknown[][]) => {
  for (const row of activations) activation.run(row);
  for (const row of logs) log.run(row);
  for (const row of spans) span.run(row);
});

const port = parentPort!;
port.on("message", (m: WriterRequest) => {
  if (m.kind === "close") {
    db.close();
    port.close();
    return;
  }
  let answer: WriterResponse;
  try {
    write(m.activations, m.logs, m.spans);
    answer = { seq: m.seq };
  } catch (err) {
    answer = { seq: m.seq, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(answer);
});
