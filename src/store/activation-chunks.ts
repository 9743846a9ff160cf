// Activations are stored in chunks, as Loki stores log lines and Prometheus samples: one row per batch for each
// (env, function, version, trigger), holding its activations as one JSON array: its format, then a row each (see
// Row; a row says only what is not usual and not derived from the id). A row per activation, with the five
// indexes its lookups need, cost the writer ~9.5 µs per invocation (a quarter of a hello's whole CPU budget); a
// chunk costs ~0.9 µs per activation (its JSON written to the file). What an activation is found by stays cheap:
// - a function's newest first: the chunks of (env, function) by their last id, newest first;
// - by id: ids are UUIDv7, time-ordered, and a chunk spans at most CHUNK_SPAN_MS, so the chunks that can hold an id
//   are the few whose last id lies in [id, id + span];
// - by trace or correlation id: most activations start their own trace, with the activation id's 128 bits as its id,
//   and give their own id as the correlation id; those are found by id. The others are linked (activation_links).
import { JsonArrayBytes, textBodies } from "./json-bytes.ts";
import type { Activation, EgressCall, Trigger } from "./types.ts";

/**
 * The format a chunk's body is written in, its first element: `[2, row, row, …]` (see Row). Bodies of format 1 are a
 * bare array of rows, which readers still take; retention rewrites one it cuts through in the current format.
 */
export const FORMAT = 2;

/** At most this many activations a chunk: a lookup decodes a whole chunk, so this bounds what one costs (~1 ms). */
export const CHUNK_MAX_ROWS = 1000;

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
  /** JSON: the format (FORMAT), then a row per activation (see Row). */
  body: Body;
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

  add(a: Activation): void {
    const ms = checkedMintedAt(a.id);
    // The row first: an activation it cannot be made of (a field missing) throws before the chunk counts it.
    const ownTrace = isOwnTraceId(a.traceId, a.id);
    const ownCorrelation = a.correlationId === a.id;
    const fields = toRow(a, ms, ownTrace, ownCorrelation);
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
    if (!c || c.body.count >= CHUNK_MAX_ROWS || ms - c.minMs > CHUNK_SPAN_MS || c.maxMs - ms > CHUNK_SPAN_MS) {
      c = {
        row: {
          env: a.env,
          function: a.function,
          version: a.version,
          trigger: a.trigger,
          first_id: a.id,
          last_id: a.id,
          count: 0,
          errors: 0,
          gb_seconds: 0,
        },
        index: this.#all.length,
        body: new JsonArrayBytes(FORMAT),
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
    row.count++;
    if (a.status === "error") row.errors++;
    row.gb_seconds += a.gbSeconds;
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

/** A whole batch packed at once, bodies as text (retention's rewrite of a chunk it cuts, migrations, tests). */
export function packActivations(activations: Activation[]): PackedActivations {
  const chunker = new ActivationChunker();
  for (const a of activations) chunker.add(a);
  const { chunks, links } = chunker.finish();
  return { chunks: textBodies(chunks), links };
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
 * One activation in a chunk, as format 2 writes it: the fields its chunk's key does not say, in this order. An entry
 * is null, or left off the end, where it is absent or derived. The first ten are what a usual invocation has; the rest
 * is written only when one of them is not what a usual one has, so a usual row is ten short values, not twenty-three
 * (JSON.stringify pays for every value, and the writer thread for every byte).
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

/** How many entries a usual activation's row has (see Row). */
const USUAL = 10;

/** `minted`: the id's timestamp (mintedAt), which ActivationChunker.add has read already. */
function toRow(a: Activation, minted: number, ownTrace: boolean, ownCorrelation: boolean): Row {
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

function fromRow(f: Row, key: ChunkKey): Activation {
  const id = f[0];
  const minted = mintedAt(id);
  const errorCode = f[10] ?? null;
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
    status: f[12] ?? (errorCode === null ? "success" : "error"),
    errorCode,
    errorMessage: f[11] ?? null,
    httpStatus: f[6],
    cold: f[13] === 1,
    traceId: f[14] ?? ownTraceId(id),
    correlationId: f[15] ?? id,
    logsDropped: f[16] ?? 0,
    cpuMs: f[5] === null ? null : fromMicros(f[5]),
    gbSeconds: f[17] ?? billedGbSeconds(f[4], f[3]),
    egress: f[18] ?? [],
  };
  const shadowOf = f[21] ?? null;
  if (shadowOf !== null) {
    a.shadowOf = shadowOf;
    a.shadowMatch = f[22] ?? null;
  }
  const spanId = f[19] ?? ownSpanId(id);
  if (spanId !== 0) {
    a.spanId = spanId;
    a.parentSpanId = f[20] ?? null;
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

/** A chunk's activations, in the order they were written; bodies of either format. */
export function unpackChunk(chunk: ChunkKey & { body: string }): Activation[] {
  const rows = JSON.parse(chunk.body) as unknown[];
  if (rows[0] !== FORMAT) return (rows as RowV1[]).map((f) => fromRowV1(f, chunk));
  const found: Activation[] = [];
  for (let i = 1; i < rows.length; i++) found.push(fromRow(rows[i] as Row, chunk));
  return found;
}
