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
// A batch's chunks update a few indexes and the rollups' rows; 32 MiB of page cache (SQLite's default is 2) keeps
// their hot pages in memory.
db.pragma("cache_size = -32768");
// SQLite copies the WAL into the database (and syncs it) each time the WAL passes 1000 pages, 4 MB: several times a
// second under load, on this thread's commits, beside the gateway's threads on the same CPUs. 64 MB makes that a few
// times a minute. `npm run bench`, recording cost: 6.4%, 11.8%, 12.5% (three runs), against 5.9–16.3% (five) before.
db.pragma("wal_autocheckpoint = 16384");
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
    write({ chunks: m.chunks, links, spans, rollups });
    answer = { seq: m.seq };
  } catch (err) {
    answer = { seq: m.seq, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(answer);
});
