// Log lines as 018 stored them, before 019 moved them into their activations' rows (see activation-chunks.ts): a
// chunk per batch and (env, function), its lines as one JSON array. Kept for those two migrations only: 018 writes
// them (from the table of a row per line before it), 019 reads them.
//
// A line's id was its batch × BATCH_LINES + its place in the batch; a batch was numbered by the id its first chunk was
// given (see insertLogChunks).
import type { Generated, Kysely } from "kysely";
import {
  atMinted,
  CHUNK_SPAN_MS,
  isOwnTraceId,
  LEVEL_BITS,
  LOG_LEVELS,
  mintedAt,
  ownTraceId,
  sinceMinted,
} from "../activation-chunks.ts";
import { JsonArrayBytes, textBodies } from "../json-bytes.ts";
import type { LogLevel, LogLine } from "../types.ts";

/** The format of the bodies 018 wrote (format 1 bodies, from before, have no format number). */
const FORMAT = 2;

/** At most this many lines a chunk: a lookup decodes a whole chunk. */
export const LOG_CHUNK_MAX_LINES = 4096;

/**
 * A line id spends log2 of this on its place in its batch (a batch is at most 2000 activations of at most 1000 lines;
 * LogChunker starts another when one is fuller): 2^31 batches fit in a safe integer, 13 years of 5 a second.
 */
export const BATCH_LINES = 2 ** 22;

/** A chunk of log lines as the store writes it; `Body` as in activation chunks (ChunkRow). */
export interface LogChunkRow<Body = string> {
  /** The id of the batch's first chunk; 0 until the store gives it one (see insertLogChunks). */
  batch: number;
  env: string;
  function: string;
  first_ts: number;
  last_ts: number;
  /** The range of the lines' activation ids: how lines are found by activation, and how retention cuts them. */
  first_activation: string;
  last_activation: string;
  count: number;
  /** A bit per level present (LEVEL_BITS), so `--level error` skips chunks with no error line. */
  levels: number;
  /** JSON: the format (2), then a row per line (see Row). */
  body: Body;
}

/**
 * One line in a chunk of format 2 (the body's first element): what its chunk's key does not say, in this
 * order, null or left off the end where derived. Most lines end at their message or their fields.
 */
type Row = [
  /** Its place in its batch. */
  seq: number,
  activationId: string,
  /** Whole ms after its activation id's timestamp, when whole (see sinceMinted). */
  ts: number,
  /** Its index in LOG_LEVELS. */
  level: number,
  message: string,
  fields?: Record<string, unknown> | null,
  /** Null: the version of the line before it in the chunk (the first line always says it). */
  version?: string | null,
  /** Null: its activation's own trace id, and its activation id as the correlation id. */
  traceId?: string | null,
  correlationId?: string | null,
];

/** A line of format 1: [seq, activationId, version, ts, level (a name), message, fields, traceId, correlationId]. */
type RowV1 = [
  number,
  string,
  string,
  number,
  LogLevel,
  string,
  Record<string, unknown> | null,
  string | null,
  string | null,
];

/** The index of each level in LOG_LEVELS, as a row holds it. */
const LEVEL_INDEX: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** `previous`: the version of the line before it in the chunk, if any; `ms`: mintedAt(l.activationId). */
function toRow(seq: number, l: LogLine, ms: number, previous: string | undefined): Row {
  const id = l.activationId;
  const ts = sinceMinted(l.ts, ms);
  const level = LEVEL_INDEX[l.level];
  const version = l.version === previous ? null : l.version;
  const traceId = isOwnTraceId(l.traceId, id) ? null : l.traceId;
  const correlationId = l.correlationId === id ? null : l.correlationId;
  // Each case its own literal: pushing onto a shorter one would copy its elements to a larger store, line after line.
  if (correlationId !== null) return [seq, id, ts, level, l.message, l.fields, version, traceId, correlationId];
  if (traceId !== null) return [seq, id, ts, level, l.message, l.fields, version, traceId];
  if (version !== null) return [seq, id, ts, level, l.message, l.fields, version];
  if (l.fields !== null) return [seq, id, ts, level, l.message, l.fields];
  return [seq, id, ts, level, l.message];
}

/**
 * A chunk's lines as written, in order, from a body of either format: each line's id is `base` + its place in its
 * batch (see BATCH_LINES), its env and function the chunk's.
 */
function linesOf(body: string, base: number, env: string, fn: string): LogLine[] {
  const rows = JSON.parse(body) as unknown[];
  if (rows[0] !== FORMAT) {
    return (rows as RowV1[]).map((f) => ({
      id: base + f[0],
      activationId: f[1],
      env,
      function: fn,
      version: f[2],
      ts: atMinted(f[3], mintedAt(f[1])),
      level: f[4],
      message: f[5],
      fields: f[6],
      traceId: f[7] ?? ownTraceId(f[1]),
      correlationId: f[8] ?? f[1],
    }));
  }
  const lines: LogLine[] = [];
  let version = "";
  for (let i = 1; i < rows.length; i++) {
    const f = rows[i] as Row;
    version = f[6] ?? version;
    lines.push({
      id: base + f[0],
      activationId: f[1],
      env,
      function: fn,
      version,
      ts: atMinted(f[2], mintedAt(f[1])),
      level: LOG_LEVELS[f[3]] as LogLevel,
      message: f[4],
      fields: f[5] ?? null,
      traceId: f[7] ?? ownTraceId(f[1]),
      correlationId: f[8] ?? f[1],
    });
  }
  return lines;
}

interface OpenChunk {
  row: Omit<LogChunkRow, "body">;
  body: JsonArrayBytes;
  /** The version of its last line. */
  version: string | undefined;
  minMs: number;
  maxMs: number;
}

/** A batch's chunks, in the order to write them: `starts` marks each chunk that begins a batch of its own. */
export interface PackedLogs<Body = string> {
  chunks: LogChunkRow<Body>[];
  starts: boolean[];
}

/**
 * Groups a batch's lines into chunks of (env, function), in the order they come, each encoded as it is added (see
 * json-bytes.ts). Like activation chunks, a chunk's activation ids lie within CHUNK_SPAN_MS of each other, so the
 * chunks holding an activation's lines are few.
 */
export class LogChunker {
  #open = new Map<string, OpenChunk>();
  readonly #all: OpenChunk[] = [];
  readonly #starts: boolean[] = [];
  #last: OpenChunk | undefined;
  #seq = 0;

  add(l: LogLine): void {
    if (this.#seq === BATCH_LINES) {
      // More lines than a batch numbers: the rest is another batch, whose chunks come after these.
      this.#open = new Map();
      this.#last = undefined;
      this.#seq = 0;
    }
    const ms = mintedAt(l.activationId);
    // As in ActivationChunker: the last line's chunk is tried before building a key.
    const last = this.#last;
    let c =
      last !== undefined && last.row.env === l.env && last.row.function === l.function
        ? last
        : this.#open.get(`${l.env}\n${l.function}`);
    const fresh =
      !c || c.body.count >= LOG_CHUNK_MAX_LINES || ms - c.minMs > CHUNK_SPAN_MS || c.maxMs - ms > CHUNK_SPAN_MS;
    // The row first: a line it cannot be made of (a field missing) throws before any chunk counts it.
    const fields = toRow(this.#seq, l, ms, fresh ? undefined : c?.version);
    if (!c || fresh) {
      c = {
        row: {
          batch: 0,
          env: l.env,
          function: l.function,
          first_ts: l.ts,
          last_ts: l.ts,
          first_activation: l.activationId,
          last_activation: l.activationId,
          count: 0,
          levels: 0,
        },
        body: new JsonArrayBytes(FORMAT),
        version: undefined,
        minMs: ms,
        maxMs: ms,
      };
      this.#open.set(`${l.env}\n${l.function}`, c);
      this.#starts.push(this.#seq === 0);
      this.#all.push(c);
    }
    const row = c.row;
    if (l.ts < row.first_ts) row.first_ts = l.ts;
    if (l.ts > row.last_ts) row.last_ts = l.ts;
    if (l.activationId < row.first_activation) row.first_activation = l.activationId;
    if (l.activationId > row.last_activation) row.last_activation = l.activationId;
    if (ms < c.minMs) c.minMs = ms;
    if (ms > c.maxMs) c.maxMs = ms;
    row.count++;
    row.levels |= LEVEL_BITS[l.level];
    c.body.push(fields);
    this.#seq++;
    c.version = l.version;
    this.#last = c;
  }

  /** The chunks, their bodies as bytes. Nothing may be added after. */
  finish(): PackedLogs<Buffer> {
    return { chunks: this.#all.map((c) => ({ ...c.row, body: c.body.finish() })), starts: this.#starts };
  }
}

/** A whole batch packed at once, bodies as text (see packActivations). */
export function packLogLines(lines: LogLine[]): PackedLogs {
  const chunker = new LogChunker();
  for (const l of lines) chunker.add(l);
  const { chunks, starts } = chunker.finish();
  return { chunks: textBodies(chunks), starts };
}

/** A chunk's lines, in the order they were written, with their ids. */
export function unpackLogChunk(chunk: {
  batch: number | string;
  env: string;
  function: string;
  body: string;
}): LogLine[] {
  return linesOf(chunk.body, Number(chunk.batch) * BATCH_LINES, chunk.env, chunk.function);
}

/** The table 018 made. */
export type LegacyLogChunks = { log_chunks: LogChunkRow & { id: Generated<number> } };

/** 12 values a chunk: 500 chunks stay well under SQLite's 32766 bound parameters a statement. */
const CHUNKS_PER_INSERT = 500;

/**
 * Writes a batch's chunks of lines (018's carry-over: one writer, so its ids commit in order). A batch is numbered by
 * the id its first chunk gets.
 */
export async function insertLogChunks(db: Kysely<LegacyLogChunks>, packed: PackedLogs): Promise<void> {
  const ids: number[] = [];
  for (let i = 0; i < packed.chunks.length; i += CHUNKS_PER_INSERT) {
    const rows = await db
      .insertInto("log_chunks")
      .values(packed.chunks.slice(i, i + CHUNKS_PER_INSERT).map((c) => ({ ...c, batch: 0 })))
      .returning("id")
      .execute();
    // Ids are handed out in the rows' order; RETURNING's own order is not promised.
    ids.push(...rows.map((r) => Number(r.id)).sort((x, y) => x - y));
  }
  let first = 0;
  for (let i = 1; i <= ids.length; i++) {
    if (i < ids.length && !packed.starts[i]) continue;
    const chunks = ids.slice(first, i);
    await db
      .updateTable("log_chunks")
      .set({ batch: chunks[0] as number })
      .where("id", "in", chunks)
      .execute();
    first = i;
  }
}
