// Shadow traffic's bookkeeping: a bound on mirrored invocations in flight (beyond it a mirror is dropped and counted)
// and the comparison of a shadow's answer with the primary's, kept on the shadow activation.
import type { RuntimeResult } from "../runtime/index.ts";

/** Mirrored invocations one node runs at once, across functions: shadow work must never crowd out real requests. */
export const MAX_SHADOW_IN_FLIGHT = 16;

export class ShadowBudget {
  readonly #limit: number;
  #inFlight = 0;
  /** `env/function` → mirrors dropped on this node since it started. */
  readonly #dropped = new Map<string, number>();

  constructor(limit = MAX_SHADOW_IN_FLIGHT) {
    this.#limit = limit;
  }

  /** Takes a slot, or counts a drop and says no. */
  take(fnKey: string): boolean {
    if (this.#inFlight >= this.#limit) {
      this.#dropped.set(fnKey, (this.#dropped.get(fnKey) ?? 0) + 1);
      return false;
    }
    this.#inFlight++;
    return true;
  }

  release(): void {
    this.#inFlight--;
  }

  dropped(fnKey: string): number {
    return this.#dropped.get(fnKey) ?? 0;
  }
}

/**
 * Whether two answers are the same for a caller: the same status and body bytes (headers are left out — dates and
 * ids differ on every call), the same value, or the same error code.
 */
export function sameAnswer(a: RuntimeResult, b: RuntimeResult): boolean {
  if (a.kind === "response" && b.kind === "response") {
    return a.status === b.status && bytesOf(a.body).equals(bytesOf(b.body));
  }
  if (a.kind === "value" && b.kind === "value") return JSON.stringify(a.value) === JSON.stringify(b.value);
  if (a.kind === "error" && b.kind === "error") return a.code === b.code;
  return false;
}

function bytesOf(body: string | Uint8Array | null): Buffer {
  if (body === null) return Buffer.alloc(0);
  return typeof body === "string" ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}
