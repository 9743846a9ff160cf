// Activations are stored in chunks, as Loki stores log lines and Prometheus samples: one row per batch for each
// (env, function, version, trigger), holding its activations as one JSON array: its format, then a row each (see
// Row; a row says only what is not usual and not derived from the id), each with the lines its activation logged.
// A row per activation, with the five indexes its lookups need, cost the writer ~9.5 µs per invocation (a quarter of a
// hello's whole CPU budget); a chunk costs ~0.9 µs per activation (its JSON written to the file). What an activation
// is found by stays cheap:
// - a function's newest first: the chunks of (env, function) by their last id, newest first;
// - by id: ids are UUIDv7, time-ordered, and a chunk spans at most CHUNK_SPAN_MS, so the chunks that can hold an id
//   are the few whose last id lies in [id, id + span];
// - by trace or correlation id: most activations start their own trace, with the activation id's 128 bits as its id,
//   and give their own id as the correlation id; those are found by id. The others are linked (activation_links).
//
// Log lines live in their activation's row, not in chunks of their own: a line then says only its time, level,
// message and fields (its activation, function, version, trace and correlation are its row's and chunk's), and
// packing it is a few values more in a row already being written. Kept apart (format 2 and log_chunks), a line was
// packed, chunked and bounded on its own, and recording cost 30% more of the gateway's thread (interleaved A/B, 8
// rounds: 12.9% of throughput against 8.9%). A chunk's columns say what log queries pick it by (lines, levels,
// their time range); a line's id is made of its chunk's id and its place among the chunk's lines (lineId).
import { JsonArrayBytes, textBodies } from "./json-bytes.ts";
import type { Activation, EgressCall, LogEntry, LogLevel, LogLine, Trigger } from "./types.ts";

/**
 * The format a chunk's body is written in, its first element: `[3, row, row, …]` (see Row). Format 2 rows have no
 * lines, and their rare part starts at 10; bodies of format 1 are a bare array of rows (RowV1). Readers take all three;
 * retention rewrites a chunk it cuts through in the current format.
 */
export const FORMAT = 3;

/**
 * A lookup decodes a whole chunk, so a chunk holds at most this many activations, and about this many bytes of rows
 * (lines included; see ROW_BYTES): whatever its activations logged, one costs a few ms to decode. A row is never
 * split, so a chunk may pass the bytes by one row (at most the runtime's 256 KiB of lines an activation).
 */
export const CHUNK_MAX_ROWS = 1000;
export const CHUNK_MAX_BYTES = 1024 * 1024;

/**
 * A chunk holds at most this many lines: a line's id is LINE_ID_BASE + its chunk's id × LINE_SLOTS + its place among
 * the chunk's lines (lineId). 2^37 chunk ids fit below 2^53, 8 years of 500 chunks a second.
 */
export const LINE_SLOTS = 2 ** 15;

/**
 * Where the ids of lines stored in their activation's row start. Lines stored apart (before migration 019) were
 * numbered below it, from 1: a cursor under it is from before the upgrade, and cannot be placed among today's ids.
 */
export const LINE_ID_BASE = 2 ** 52;

/** The id of the line at `place` among the lines of the chunk with id `chunkId`. */
export function lineId(chunkId: number, place: number): number {
  return LINE_ID_BASE + chunkId * LINE_SLOTS + place;
}

/** The id of the chunk a line id points into (0 for ids from before LINE_ID_BASE: before every chunk). */
export function chunkOfLine(id: number): number {
  return Math.max(0, Math.floor((id - LINE_ID_BASE) / LINE_SLOTS));
}

/**
 * A chunk's ids lie within this many ms of each other, so the chunk holding an id has its last id within this much
 * after it. A batch whose activations started further apart (a long invocation beside short ones) is split.
 */
export const CHUNK_SPAN_MS = 10_000;

/**
 * A chunk as the store writes it: its key, its bounds and sums (which queries read without decoding), its rows.
 * `Body`: the JSON as text, or as its UTF-8 bytes while a batch waits to be written (see json-bytes.ts).
 */
export interface ChunkRow<Body = string> {
  env: string;
  function: string;
  version: string;
  trigger: string;
  first_id: string;
  last_id: string;
  count: number;
  errors: number;
  gb_seconds: number;
  /** How many log lines its activations hold; the line columns below are 0 when none. */
  lines: number;
  /** A bit per level its lines have (LEVEL_BITS), so `--level error` skips chunks with no error line. */
  levels: number;
  /** The time of its first and last line (ms), so a log query's time range skips the chunks outside it. */
  first_line_ts: number;
  last_line_ts: number;
  /** JSON: the format (FORMAT), then a row per activation (see Row). */
  body: Body;
}

export const LOG_LEVELS: LogLevel[] = ["debug", "info", "warn", "error"];

/** The bit of each level in a chunk's `levels`. */
export const LEVEL_BITS: Record<LogLevel, number> = { debug: 1, info: 2, warn: 4, error: 8 };

/** The index of each level in LOG_LEVELS, as a line's row holds it. */
const LEVEL_INDEX: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** The bits of `level` and every level above it. */
export function levelsFrom(level: LogLevel): number {
  return LOG_LEVELS.slice(LOG_LEVELS.indexOf(level)).reduce((bits, l) => bits | LEVEL_BITS[l], 0);
}

/** A trace or correlation id an activation does not derive from its own id: stored beside its chunk. */
export interface LinkRow {
  kind: "trace" | "correlation";
  key: string;
  activation_id: string;
  /** The index of the activation's chunk in the batch's list (the writer turns it into the chunk's id). */
  chunk: number;
}

/** The activations of a batch, as chunks and links. */
export interface PackedActivations<Body = string> {
  chunks: ChunkRow<Body>[];
  links: LinkRow[];
}

interface OpenChunk {
  row: Omit<ChunkRow, "body">;
  index: number;
  body: JsonArrayBytes;
  /** About the bytes of its rows (see ROW_BYTES). */
  bytes: number;
  minMs: number;
  maxMs: number;
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * The ms timestamp a UUIDv7 starts with (its first 12 hex digits), NaN if one is not a hex digit; the rest of the id
 * is not checked. Read digit by digit: slicing and parseInt cost ~10% of packing a chunk.
 */
export function mintedAt(id: string): number {
  let ms = 0;
  for (let i = 0; i < 13; i++) {
    if (i === 8) continue;
    const c = id.charCodeAt(i);
    const lower = c | 0x20;
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
    if (digit < 0) return Number.NaN;
    ms = ms * 16 + digit;
  }
  return ms;
}

/**
 * The ms timestamp of an activation id about to be recorded; throws if the id is not a UUIDv7. This runs on the
 * gateway's thread for every activation: a cheap check here, the strict one (idTime) on lookups.
 */
export function checkedMintedAt(id: string): number {
  const ms = mintedAt(id);
  if (id.length !== 36 || id.charCodeAt(14) !== 0x37 || Number.isNaN(ms)) {
    throw new Error(`activation id ${JSON.stringify(id)} is not a UUIDv7`);
  }
  return ms;
}

/** The ms timestamp a UUIDv7 starts with; NaN for anything else. */
export function idTime(id: string): number {
  return UUID_V7.test(id) ? mintedAt(id) : Number.NaN;
}

/** The smallest UUIDv7 of millisecond `ms`: every id minted at `ms` or later sorts at or after it. */
export function uuidv7Floor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, "0").slice(-12);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

/**
 * An exclusive upper bound on the last id of a chunk whose first id is at or below an id minted at `ms`: a chunk spans
 * at most CHUNK_SPAN_MS, so a query for chunks that start before a point reads an index range, not everything after.
 */
export function endsBefore(ms: number): string {
  return uuidv7Floor(ms + CHUNK_SPAN_MS + 1);
}

/** The trace id an activation that started its own trace has: its id's 128 bits (see telemetry/ids.ts). */
export function ownTraceId(id: string): string {
  return id.slice(0, 8) + id.slice(9, 13) + id.slice(14, 18) + id.slice(19, 23) + id.slice(24);
}

/** The activation id whose own trace id this is, if it could be one; else undefined. */
export function activationOfTrace(traceId: string): string | undefined {
  if (traceId.length !== 32) return undefined;
  const t = traceId;
  const id = `${t.slice(0, 8)}-${t.slice(8, 12)}-${t.slice(12, 16)}-${t.slice(16, 20)}-${t.slice(20)}`;
  return UUID_V7.test(id) ? id : undefined;
}

const NO_LINES: readonly LogEntry[] = [];

/**
 * What a row takes in a chunk's body, roughly: ~100 bytes for a usual one, its error message, ~150 an egress call, and
 * for each line its time, level and brackets, and its text's bytes (as the runtime counted them; for a line handed
 * over without, its message at 3 bytes a character and 1 KiB of fields). Escapes are not counted (a control character
 * takes up to 6 bytes): enough to keep chunks near CHUNK_MAX_BYTES without measuring each row's JSON.
 */
const ROW_BYTES = 100;
const EGRESS_BYTES = 150;
const LINE_BYTES = 16;

/** A chunk's columns before its first activation (`id`) is added, in the order the SQLite writer binds them. */
function noSums(id: string): Omit<ChunkRow, keyof ChunkKey | "body"> {
  return {
    first_id: id,
    last_id: id,
    count: 0,
    errors: 0,
    gb_seconds: 0,
    lines: 0,
    levels: 0,
    first_line_ts: 0,
    last_line_ts: 0,
  };
}

/**
 * Groups a batch into chunks of (env, function, version, trigger), in the order the activations come, each encoded
 * as it is added (see json-bytes.ts).
 */
export class ActivationChunker {
  readonly #open = new Map<string, OpenChunk>();
  readonly #all: OpenChunk[] = [];
  readonly #links: LinkRow[] = [];
  #last: OpenChunk | undefined;
  /** How many activations it holds. */
  count = 0;

  /** `lines`: what the activation logged, in order; beyond LINE_SLOTS they are dropped (and counted in the row). */
  add(a: Activation, lines: readonly LogEntry[] = NO_LINES): void {
    const ms = checkedMintedAt(a.id);
    let logged = lines;
    if (logged.length > LINE_SLOTS) {
      logged = logged.slice(0, LINE_SLOTS);
      a = { ...a, logsDropped: a.logsDropped + lines.length - LINE_SLOTS };
    }
    // The row first: an activation it cannot be made of (a field missing) throws before the chunk counts it.
    const ownTrace = isOwnTraceId(a.traceId, a.id);
    const ownCorrelation = a.correlationId === a.id;
    const fields = toRow(a, ms, ownTrace, ownCorrelation, logged);
    let bytes = ROW_BYTES + (a.errorMessage?.length ?? 0) + a.egress.length * EGRESS_BYTES;
    for (const l of logged) bytes += LINE_BYTES + (l.bytes ?? l.message.length * 3 + (l.fields === null ? 0 : 1024));
    // Most of a batch is one key after another of the same: the last one's chunk is tried before building a key.
    const last = this.#last;
    let c =
      last !== undefined &&
      last.row.env === a.env &&
      last.row.function === a.function &&
      last.row.version === a.version &&
      last.row.trigger === a.trigger
        ? last
        : this.#open.get(`${a.env}\n${a.function}\n${a.version}\n${a.trigger}`);
    if (
      !c ||
      c.body.count >= CHUNK_MAX_ROWS ||
      ms - c.minMs > CHUNK_SPAN_MS ||
      c.maxMs - ms > CHUNK_SPAN_MS ||
      c.row.lines + logged.length > LINE_SLOTS ||
      c.bytes + bytes > CHUNK_MAX_BYTES
    ) {
      c = {
        row: {
          env: a.env,
          function: a.function,
          version: a.version,
          trigger: a.trigger,
          ...noSums(a.id),
        },
        index: this.#all.length,
        body: new JsonArrayBytes(FORMAT),
        bytes: 0,
        minMs: ms,
        maxMs: ms,
      };
      this.#open.set(`${a.env}\n${a.function}\n${a.version}\n${a.trigger}`, c);
      this.#all.push(c);
    }
    const row = c.row;
    if (a.id < row.first_id) row.first_id = a.id;
    if (a.id > row.last_id) row.last_id = a.id;
    if (ms < c.minMs) c.minMs = ms;
    if (ms > c.maxMs) c.maxMs = ms;
    c.bytes += bytes;
    row.count++;
    if (a.status === "error") row.errors++;
    row.gb_seconds += a.gbSeconds;
    for (const l of logged) addLine(row, l.ts, LEVEL_BITS[l.level]);
    if (!ownTrace) this.#links.push({ kind: "trace", key: a.traceId, activation_id: a.id, chunk: c.index });
    if (!ownCorrelation) {
      this.#links.push({ kind: "correlation", key: a.correlationId, activation_id: a.id, chunk: c.index });
    }
    c.body.push(fields);
    this.#last = c;
    this.count++;
  }

  /** The chunks, their bodies as bytes, and the links. Nothing may be added after. */
  finish(): PackedActivations<Buffer> {
    return { chunks: this.#all.map((c) => ({ ...c.row, body: c.body.finish() })), links: this.#links };
  }
}

/** A whole batch packed at once, bodies as text (migrations, tests), with the lines of its activations. */
export function packActivations(activations: Activation[], lines: LogLine[] = []): PackedActivations {
  const logged = linesByActivation(activations, lines);
  const chunker = new ActivationChunker();
  for (const a of activations) chunker.add(a, logged.get(a.id));
  const { chunks, links } = chunker.finish();
  return { chunks: textBodies(chunks), links };
}

/**
 * Lines by the activation that logged them, in their order. A line is stored in its activation's row, so one whose
 * activation is not among `activations` cannot be: it throws.
 */
export function linesByActivation(activations: Activation[], lines: LogLine[]): Map<string, LogLine[]> {
  const by = new Map<string, LogLine[]>(activations.map((a) => [a.id, []]));
  for (const l of lines) {
    const logged = by.get(l.activationId);
    if (logged === undefined)
      throw new Error(`log line of activation ${l.activationId}: its activation is not with it`);
    logged.push(l);
  }
  return by;
}

/**
 * The span id of an activation's own span, unless one was given: the low 64 bits of its id, as hex (its counter and
 * random bits, which end the trace id it starts). Never all zeros: the id's variant bits are set.
 */
export function ownSpanId(id: string): string {
  return id.slice(19, 23) + id.slice(24);
}

/** ownSpanId(id) === spanId, without building the string. */
export function isOwnSpanId(spanId: string, id: string): boolean {
  if (spanId.length !== 16 || id.length !== 36) return false;
  for (let i = 0; i < 16; i++) {
    if (spanId.charCodeAt(i) !== id.charCodeAt(i < 4 ? 19 + i : 20 + i)) return false;
  }
  return true;
}

/** ownTraceId(id) === traceId, without building the string (this runs for every activation). */
export function isOwnTraceId(traceId: string, id: string): boolean {
  if (traceId.length !== 32 || id.length !== 36) return false;
  let j = 0;
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) continue;
    if (id.charCodeAt(i) !== traceId.charCodeAt(j++)) return false;
  }
  return true;
}

// Numbers are most of what stringifying a chunk costs: V8 writes a small integer several times faster than an epoch
// time in ms (beyond 2^31) or a fraction. So times are written as small integers where that loses nothing; a number
// written as given is never an integer, which is how a reader tells the two apart.

/** A time in ms as whole ms after `minted` (a UUIDv7's timestamp), when it is whole; else as given. */
export function sinceMinted(ms: number, minted: number): number {
  return Number.isInteger(ms) && !Number.isNaN(minted) ? ms - minted : ms;
}

/** The time sinceMinted wrote. */
export function atMinted(stored: number, minted: number): number {
  return Number.isInteger(stored) && !Number.isNaN(minted) ? minted + stored : stored;
}

/**
 * A time in fractional ms (a span's start, on spanClock's µs) as whole µs after `minted`, when that gives it back
 * exactly; else as given, which is then never an integer (an integer ms always comes back exactly).
 */
export function microsSinceMinted(ms: number, minted: number): number {
  const us = Math.round((ms - minted) * 1000);
  return minted + us / 1000 === ms ? us : ms;
}

/** The time microsSinceMinted wrote. */
export function atMintedMicros(stored: number, minted: number): number {
  return Number.isInteger(stored) ? minted + stored / 1000 : stored;
}

/** A duration in ms as whole µs, when that is exact (the invoker rounds durations to µs); else as given. */
function toMicros(ms: number): number {
  const us = Math.round(ms * 1000);
  return us / 1000 === ms ? us : ms;
}

/** The duration toMicros wrote. */
function fromMicros(stored: number): number {
  return Number.isInteger(stored) ? stored / 1000 : stored;
}

/** What Lambda bills, and what the invoker records: memory in GB times billed seconds. */
export function billedGbSeconds(memoryMb: number, billedMs: number): number {
  return (memoryMb / 1024) * (billedMs / 1000);
}

/**
 * One activation in a chunk, as format 3 writes it: the fields its chunk's key does not say, in this order. An entry
 * is null, or left off the end, where it is absent or derived. The first ten are what a usual invocation has, then its
 * lines; the rest is written only when one of them is not what a usual one has, so a usual row is ten short values and
 * its lines, not twenty-four (JSON.stringify pays for every value, and the writer thread for every byte). Format 2
 * rows are the same without `lines`: their rare part starts at 10.
 */
type Row = [
  id: string,
  /** Whole ms after the id's own timestamp (see sinceMinted). */
  startedAt: number,
  /** Whole µs where that is exact (see toMicros), as is cpuMs. */
  durationMs: number,
  billedMs: number,
  memoryMb: number,
  cpuMs: number | null,
  httpStatus: number | null,
  httpMethod: string | null,
  httpPath: string | null,
  /** Whole µs after the id's own timestamp, where that is exact (see microsSinceMinted). */
  spanStartedAt: number | null,
  /** What it logged, in order; null or left off when nothing. */
  lines?: LineRow[] | null,
  // The rare part:
  errorCode?: string | null,
  errorMessage?: string | null,
  /** Null: `error` when there is an error code, else `success` (what the invoker records). */
  status?: Activation["status"] | null,
  cold?: 1 | null,
  /** Null: the id's own (see ownTraceId), as the correlation id's is the id. */
  traceId?: string | null,
  correlationId?: string | null,
  logsDropped?: number | null,
  /** Null: what billedGbSeconds makes of memory and billed time. */
  gbSeconds?: number | null,
  egress?: EgressCall[] | null,
  /** Null: the id's own (see ownSpanId); 0: the activation has no span (recorded before Pave kept one). */
  spanId?: string | 0 | null,
  parentSpanId?: string | null,
  shadowOf?: string | null,
  shadowMatch?: boolean | null,
];

/**
 * A line in its activation's row: its time as whole ms after the activation id's timestamp (see sinceMinted), its
 * level's index in LOG_LEVELS, its message, and its fields when it has any.
 */
type LineRow = [ts: number, level: number, message: string, fields?: Record<string, unknown>];

/**
 * In a format 3 body, a number in place of a row: retention removed an activation that had this many lines, and the
 * number keeps the places, so the ids, of the lines after it.
 */
type Gap = number;

/** How many entries a usual activation's row has (see Row), and where its rare part starts (format 3; 10 in 2). */
const USUAL = 10;
const RARE = 11;

/** A chunk's columns about its lines. */
type LineSums = Pick<ChunkRow, "lines" | "levels" | "first_line_ts" | "last_line_ts">;

/** Adds a line (its time, and its level's bit) to its chunk's columns. */
function addLine(sums: LineSums, ts: number, levelBit: number): void {
  if (sums.lines === 0 || ts < sums.first_line_ts) sums.first_line_ts = ts;
  if (sums.lines === 0 || ts > sums.last_line_ts) sums.last_line_ts = ts;
  sums.levels |= levelBit;
  sums.lines++;
}

/** `minted`: the id's timestamp (mintedAt), which ActivationChunker.add has read already. */
function toRow(
  a: Activation,
  minted: number,
  ownTrace: boolean,
  ownCorrelation: boolean,
  lines: readonly LogEntry[],
): Row {
  const row: Row = [
    a.id,
    sinceMinted(a.startedAt, minted),
    toMicros(a.durationMs),
    a.billedMs,
    a.memoryMb,
    a.cpuMs === null ? null : toMicros(a.cpuMs),
    a.httpStatus,
    a.httpMethod ?? null,
    a.httpPath ?? null,
    a.spanId === undefined || a.spanStartedAt === undefined ? null : microsSinceMinted(a.spanStartedAt, minted),
  ];
  if (lines.length > 0) {
    const logged: LineRow[] = [];
    for (const l of lines) {
      // Each case its own literal: pushing onto a shorter one would copy its elements to a larger store.
      const ts = sinceMinted(l.ts, minted);
      logged.push(
        l.fields === null ? [ts, LEVEL_INDEX[l.level], l.message] : [ts, LEVEL_INDEX[l.level], l.message, l.fields],
      );
    }
    row.push(logged);
  }
  const spanId = a.spanId === undefined ? 0 : isOwnSpanId(a.spanId, a.id) ? null : a.spanId;
  const gbSeconds = a.gbSeconds === billedGbSeconds(a.memoryMb, a.billedMs) ? null : a.gbSeconds;
  const derivedStatus = a.errorCode === null ? "success" : "error";
  if (
    a.errorCode !== null ||
    a.errorMessage !== null ||
    a.status !== derivedStatus ||
    a.cold ||
    !ownTrace ||
    !ownCorrelation ||
    a.logsDropped !== 0 ||
    gbSeconds !== null ||
    a.egress.length > 0 ||
    spanId !== null ||
    (a.parentSpanId ?? null) !== null ||
    a.shadowOf !== undefined
  ) {
    if (row.length === USUAL) row.push(null);
    row.push(
      a.errorCode,
      a.errorMessage,
      a.status === derivedStatus ? null : a.status,
      a.cold ? 1 : null,
      ownTrace ? null : a.traceId,
      ownCorrelation ? null : a.correlationId,
      a.logsDropped === 0 ? null : a.logsDropped,
      gbSeconds,
      a.egress.length === 0 ? null : a.egress,
      spanId,
      a.parentSpanId ?? null,
      a.shadowOf ?? null,
      a.shadowMatch ?? null,
    );
    while (row.length > USUAL && row[row.length - 1] === null) row.pop();
  }
  return row;
}

/** `rare`: where the row's rare part starts (RARE, or 10 in format 2). */
function fromRow(f: Row, key: ChunkKey, rare: number): Activation {
  // Read by position from the rare part, whichever format: the entries after `lines` keep their order.
  const r = f as unknown as unknown[];
  const at = <T>(i: number) => (r[rare + i] ?? null) as T | null;
  const id = f[0];
  const minted = mintedAt(id);
  const errorCode = at<string>(0);
  const a: Activation = {
    id,
    env: key.env,
    function: key.function,
    version: key.version,
    trigger: key.trigger as Trigger,
    startedAt: atMinted(f[1], minted),
    durationMs: fromMicros(f[2]),
    billedMs: f[3],
    memoryMb: f[4],
    status: at<Activation["status"]>(2) ?? (errorCode === null ? "success" : "error"),
    errorCode,
    errorMessage: at<string>(1),
    httpStatus: f[6],
    cold: at<number>(3) === 1,
    traceId: at<string>(4) ?? ownTraceId(id),
    correlationId: at<string>(5) ?? id,
    logsDropped: at<number>(6) ?? 0,
    cpuMs: f[5] === null ? null : fromMicros(f[5]),
    gbSeconds: at<number>(7) ?? billedGbSeconds(f[4], f[3]),
    egress: at<EgressCall[]>(8) ?? [],
  };
  const shadowOf = at<string>(11);
  if (shadowOf !== null) {
    a.shadowOf = shadowOf;
    a.shadowMatch = at<boolean>(12);
  }
  const spanId = at<string | 0>(9) ?? ownSpanId(id);
  if (spanId !== 0) {
    a.spanId = spanId;
    a.parentSpanId = at<string>(10);
    a.spanStartedAt = atMintedMicros(f[9] as number, minted);
  }
  if (f[7] !== null) a.httpMethod = f[7];
  if (f[8] !== null) a.httpPath = f[8];
  return a;
}

/** A row of format 1 (before the format number came first): every field, in this order (null: derived or absent). */
type RowV1 = [
  id: string,
  startedAt: number,
  durationMs: number,
  billedMs: number,
  memoryMb: number,
  status: Activation["status"],
  errorCode: string | null,
  errorMessage: string | null,
  httpStatus: number | null,
  cold: 0 | 1,
  traceId: string | null,
  correlationId: string | null,
  logsDropped: number,
  cpuMs: number | null,
  gbSeconds: number | null,
  egress: EgressCall[],
  shadowOf: string | null,
  shadowMatch: boolean | null,
  spanId: string | null,
  parentSpanId: string | null,
  spanStartedAt: number | null,
  httpMethod: string | null,
  httpPath: string | null,
];

function fromRowV1(f: RowV1, key: ChunkKey): Activation {
  const a: Activation = {
    id: f[0],
    env: key.env,
    function: key.function,
    version: key.version,
    trigger: key.trigger as Trigger,
    startedAt: atMinted(f[1], mintedAt(f[0])),
    durationMs: fromMicros(f[2]),
    billedMs: f[3],
    memoryMb: f[4],
    status: f[5],
    errorCode: f[6],
    errorMessage: f[7],
    httpStatus: f[8],
    cold: f[9] === 1,
    traceId: f[10] ?? ownTraceId(f[0]),
    correlationId: f[11] ?? f[0],
    logsDropped: f[12],
    cpuMs: f[13],
    gbSeconds: f[14] ?? billedGbSeconds(f[4], f[3]),
    egress: f[15],
  };
  if (f[16] !== null) {
    a.shadowOf = f[16];
    a.shadowMatch = f[17];
  }
  if (f[18] !== null) {
    a.spanId = f[18];
    a.parentSpanId = f[19];
    a.spanStartedAt = f[20] as number;
  }
  if (f[21] !== null) {
    a.httpMethod = f[21];
    a.httpPath = f[22] ?? "";
  }
  return a;
}

/** The chunk's key, which its rows do not repeat. */
export type ChunkKey = Pick<ChunkRow, "env" | "function" | "version" | "trigger">;

/** A chunk's rows, in the order they were written: each a row of its format, or (format 3) a Gap. */
function rowsOf(body: string): { format: number; rows: unknown[] } {
  const rows = JSON.parse(body) as unknown[];
  if (typeof rows[0] !== "number") return { format: 1, rows };
  return { format: rows[0], rows: rows.slice(1) };
}

/** A chunk's activations, in the order they were written; bodies of any format. */
export function unpackChunk(chunk: ChunkKey & { body: string }): Activation[] {
  const { format, rows } = rowsOf(chunk.body);
  if (format === 1) return (rows as RowV1[]).map((f) => fromRowV1(f, chunk));
  const rare = format === 2 ? USUAL : RARE;
  const found: Activation[] = [];
  for (const f of rows) if (typeof f !== "number") found.push(fromRow(f as Row, chunk, rare));
  return found;
}

/**
 * A chunk's log lines, in the order they were written, each with its id (lineId: its chunk's and its place) and
 * what its activation says of it. Only format 3 bodies hold lines. `only`: the lines of that activation alone.
 */
export function chunkLines(chunk: ChunkKey & { id: number | string; body: string }, only?: string): LogLine[] {
  const { format, rows } = rowsOf(chunk.body);
  const lines: LogLine[] = [];
  if (format !== FORMAT) return lines;
  let id = lineId(Number(chunk.id), 0);
  for (const f of rows) {
    if (typeof f === "number") {
      id += f as Gap;
      continue;
    }
    const r = f as Row;
    const logged = r[USUAL];
    if (logged == null) continue;
    if (only !== undefined && r[0] !== only) {
      id += logged.length;
      continue;
    }
    const activationId = r[0];
    const minted = mintedAt(activationId);
    const traceId = (r[RARE + 4] as string | null | undefined) ?? ownTraceId(activationId);
    const correlationId = (r[RARE + 5] as string | null | undefined) ?? activationId;
    for (const l of logged) {
      lines.push({
        id: id++,
        activationId,
        env: chunk.env,
        function: chunk.function,
        version: chunk.version,
        ts: atMinted(l[0], minted),
        level: LOG_LEVELS[l[1]] as LogLevel,
        message: l[2],
        fields: l[3] ?? null,
        traceId,
        correlationId,
      });
    }
  }
  return lines;
}

/** What retention leaves of a chunk it cuts through: its sums and body anew, or undefined when nothing is left. */
export type PrunedChunk = Omit<ChunkRow, keyof ChunkKey>;

/**
 * Removes the activations `gone` says are gone, with their lines. The rows left are kept as written; a removed row
 * that had lines leaves their number (a Gap), so the lines after it keep their ids.
 */
export function pruneChunk(
  chunk: ChunkKey & { body: string },
  gone: (id: string) => boolean,
): { rest: PrunedChunk | undefined; removed: number; linesRemoved: number } {
  const { format, rows: written } = rowsOf(chunk.body);
  // Rows of an older format (which hold no lines) are written anew in this one, in place: never split, as packing
  // them into chunks again could.
  const rows =
    format === FORMAT
      ? written
      : unpackChunk(chunk).map((a) =>
          toRow(a, mintedAt(a.id), isOwnTraceId(a.traceId, a.id), a.correlationId === a.id, NO_LINES),
        );
  const kept: unknown[] = [FORMAT];
  let removed = 0;
  let linesRemoved = 0;
  let rest: Omit<PrunedChunk, "body"> | undefined;
  let gap = 0;
  for (const f of rows) {
    if (typeof f === "number") {
      gap += f;
      continue;
    }
    const r = f as Row;
    const logged = r[USUAL] ?? [];
    const a = fromRow(r, chunk, RARE);
    if (gone(a.id)) {
      removed++;
      linesRemoved += logged.length;
      gap += logged.length;
      continue;
    }
    if (gap > 0) kept.push(gap);
    gap = 0;
    kept.push(r);
    rest ??= noSums(a.id);
    if (a.id < rest.first_id) rest.first_id = a.id;
    if (a.id > rest.last_id) rest.last_id = a.id;
    rest.count++;
    if (a.status === "error") rest.errors++;
    rest.gb_seconds += a.gbSeconds;
    const minted = mintedAt(a.id);
    for (const l of logged) addLine(rest, atMinted(l[0], minted), 1 << l[1]);
  }
  return { rest: rest && { ...rest, body: JSON.stringify(kept) }, removed, linesRemoved };
}
