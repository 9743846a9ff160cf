// The limits a kv call is held to before it reaches the store, each refused with a code the function can read.
// Sizes follow Workers KV where they are sensible for an embedded store.
import { KV_MAX_VALUE_BYTES, kvKeyProblem } from "../../store/index.ts";
import { refuse } from "./refuse.ts";

/** Most keys one `list` call returns. */
export const KV_LIST_MAX = 1000;

/** The control API's key rule (store/kv-limits.ts), so a key one side accepts the other accepts too. */
export function checkKvKey(key: unknown): string {
  const k = String(key);
  const problem = kvKeyProblem(k);
  if (problem) throw refuse("KvKeyInvalid", problem);
  return k;
}

export function checkKvValue(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw refuse("BadRequest", "a kv value must be bytes");
  if (value.byteLength > KV_MAX_VALUE_BYTES) {
    throw refuse(
      "KvValueTooLarge",
      `the value is ${value.byteLength} bytes; a kv value may be at most ${KV_MAX_VALUE_BYTES}`,
    );
  }
  return value;
}

/** `expirationTtl` (seconds from now) or `expiration` (epoch seconds) → epoch ms, or null to keep forever. */
export function expiryOf(ttl: unknown, expiration: unknown, now: number): number | null {
  if (ttl !== null && ttl !== undefined) {
    const s = Number(ttl);
    if (!Number.isFinite(s) || s < 1)
      throw refuse("BadRequest", `expirationTtl must be at least 1 second, got ${String(ttl)}`);
    return now + Math.round(s * 1000);
  }
  if (expiration !== null && expiration !== undefined) {
    const at = Number(expiration) * 1000;
    if (!Number.isFinite(at) || at <= now) {
      throw refuse("BadRequest", `expiration must be a time in the future (epoch seconds), got ${String(expiration)}`);
    }
    return at;
  }
  return null;
}
