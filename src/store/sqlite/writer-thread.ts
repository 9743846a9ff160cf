// The body of the SQLite activation writer's worker thread: its own connection to the same file (WAL lets the
// server's connection read meanwhile), one transaction per batch, and an answer per batch.
import { parentPort, workerData } from "node:worker_threads";
import SQLite from "better-sqlite3";
import { batchWriter } from "./batch-writer.ts";
import type { WriterRequest, WriterResponse, WriterSetup } from "./writer.ts";

const setup = workerData as WriterSetup;
const db = new SQLite(setup.path);
db.pragma("synchronous = NORMAL");
db.pragma("busy_timeout = 5000");
// Each batch updates indexes at scattered keys (log lines' correlation ids); SQLite's default 2 MiB page cache sent
// most of those updates to the file. 32 MiB keeps the hot index pages in memory.
db.pragma("cache_size = -32768");
const write = batchWriter(db, setup);

const port = parentPort!;
port.on("message", (m: WriterRequest) => {
  if (m.kind === "close") {
    db.close();
    port.close();
    return;
  }
  let answer: WriterResponse;
  try {
    const [links, spans, rollups] = JSON.parse(m.rows) as [unknown[][], unknown[][], unknown[][]];
    write({ chunks: m.chunks, links, logs: m.logs, logStarts: m.logStarts, spans, rollups });
    answer = { seq: m.seq };
  } catch (err) {
    answer = { seq: m.seq, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(answer);
});
