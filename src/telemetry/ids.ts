// The ids every invocation is recorded under, minted on the gateway's thread for each request: activation ids
// (UUIDv7), the trace id of a trace Pave starts, and span ids, all drawn from one pool of random bytes.
import { randomFillSync } from "node:crypto";

/** Random bytes drawn 4 KiB at a time: an id is then a few bytes of a buffer, not a call into the CSPRNG. */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

/** Where `n` fresh random bytes start in `pool`. */
function draw(n: number): number {
  if (offset + n > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += n;
  return at;
}

const ZERO_SPAN = "0".repeat(16);

/** A new span id: 16 lowercase hex digits, never all zeros. */
export function newSpanId(): string {
  const at = draw(8);
  const id = pool.toString("hex", at, at + 8);
  return id === ZERO_SPAN ? newSpanId() : id;
}

/** Lowercase hex digits as character codes, and the two scratch buffers the ids' text is written into. */
const HEX = Buffer.from("0123456789abcdef", "latin1");
const uuidText = Buffer.from("00000000-0000-0000-0000-000000000000", "latin1");
const hexText = Buffer.allocUnsafe(32);
/** Where each of the 16 bytes' two digits go in the 36 characters of a UUID. */
const UUID_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const bytes = new Uint8Array(16);

/** The last millisecond an id was minted in, and the counter that orders ids within it (RFC 9562 §6.2, method 1). */
let lastMs = -1;
let seq = 0;

/**
 * A new activation id, a UUIDv7 (RFC 9562): a millisecond timestamp, then a 32-bit counter seeded at random each
 * millisecond and stepped within it (so ids minted here only ever grow, and "newest first" is an index scan), then
 * random bits. Returned with the same 128 bits as 32 hex digits, the id of a trace this activation starts, and its
 * low 64 bits as 16, the id of the activation's own span (the chunk a row is stored in derives both from the id; see
 * store/activation-chunks.ts).
 * The `uuid` package draws 16 fresh bytes, allocates twice and lowercases the text for every id, and the hex form
 * needed a replaceAll: together ~3% of the gateway's thread per request; this is ~0.3 µs.
 */
export function newActivationIds(): [activationId: string, traceId: string, spanId: string] {
  const now = Date.now();
  const at = draw(10);
  if (now > lastMs) {
    lastMs = now;
    // 31 bits: the top one stays clear, so stepping cannot overflow within a millisecond.
    seq =
      ((pool[at] as number) << 23) |
      ((pool[at + 1] as number) << 16) |
      ((pool[at + 2] as number) << 8) |
      (pool[at + 3] as number);
  } else {
    seq = (seq + 1) | 0;
    // 2^31 ids in one millisecond: borrow the next one, as the uuid package does.
    if (seq === 0) lastMs++;
  }
  const ms = lastMs;
  bytes[0] = (ms / 0x10000000000) & 0xff;
  bytes[1] = (ms / 0x100000000) & 0xff;
  bytes[2] = (ms / 0x1000000) & 0xff;
  bytes[3] = (ms / 0x10000) & 0xff;
  bytes[4] = (ms / 0x100) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | ((seq >>> 28) & 0x0f);
  bytes[7] = (seq >>> 20) & 0xff;
  bytes[8] = 0x80 | ((seq >>> 14) & 0x3f);
  bytes[9] = (seq >>> 6) & 0xff;
  bytes[10] = ((seq << 2) & 0xff) | ((pool[at + 4] as number) & 0x03);
  for (let i = 11; i < 16; i++) bytes[i] = pool[at + i - 6] as number;
  for (let i = 0; i < 16; i++) {
    const b = bytes[i] as number;
    const hi = HEX[b >>> 4] as number;
    const lo = HEX[b & 0x0f] as number;
    const u = UUID_AT[i] as number;
    uuidText[u] = hi;
    uuidText[u + 1] = lo;
    hexText[2 * i] = hi;
    hexText[2 * i + 1] = lo;
  }
  return [uuidText.toString("latin1", 0, 36), hexText.toString("latin1", 0, 32), hexText.toString("latin1", 16, 32)];
}
