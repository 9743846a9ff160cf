// One batch of recorded activations (with their log lines), spans and rollups, written in one SQLite transaction with
// prepared statements: by the writer thread for a file store, and on the main connection for a private in-memory one.
import type SQLite from "better-sqlite3";

/** A batch as column values: chunks and links (activation-chunks.ts), span and rollup rows. */
export interface Batch {
  /** Each in CHUNK_COLUMNS order, the body as its UTF-8 bytes. */
  chunks: unknown[][];
  /** [kind, key, activation id, the index of its chunk in `chunks`]. */
  links: unknown[][];
  spans: unknown[][];
  rollups: unknown[][];
}

/** The statements a batch runs, as SQL with `?` placeholders. */
export interface BatchSql {
  chunkSql: string;
  linkSql: string;
  spanSql: string;
  /** The additive upsert of one rollup row. */
  rollupSql: string;
}

/** Prepares the statements once; the function it returns writes a batch, all or nothing. */
export function batchWriter(db: SQLite.Database, sql: BatchSql): (batch: Batch) => void {
  const chunk = db.prepare(sql.chunkSql);
  const link = db.prepare(sql.linkSql);
  const span = db.prepare(sql.spanSql);
  const rollup = db.prepare(sql.rollupSql);
  // Rollups commit with the activations they sum, so the two never disagree.
  return db.transaction((b: Batch) => {
    const ids = b.chunks.map((row) => chunk.run(row).lastInsertRowid);
    for (const [kind, key, activation, index] of b.links) link.run(kind, key, activation, ids[index as number]);
    for (const row of b.spans) span.run(row);
    for (const row of b.rollups) rollup.run(row);
  });
}
