// The host facilities the sandbox's Web APIs need beyond logs and timers: entropy, Web Crypto, fetch and V8's
// structured clone. Handed over once per isolate as the last arguments of `__pave_setup`; all copy, both ways.
import { getRandomValues } from "node:crypto";
import ivm from "isolated-vm";
import type { EgressRequest, EgressResponse } from "./bindings/index.ts";
import { cryptoCall } from "./host-crypto.ts";
import type { FetchReply } from "./protocol.ts";

/** The Web Crypto limit for one getRandomValues call, and so for one bridge call. */
const MAX_RANDOM_BYTES = 65536;

/** Random bytes for crypto.getRandomValues / randomUUID; the sandbox pools them (4 KiB per call). */
function randomBytes(n: unknown): Uint8Array {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_RANDOM_BYTES) {
    throw new RangeError(`randomBytes: ${String(n)} is not a byte count from 1 to ${MAX_RANDOM_BYTES}`);
  }
  // Its own buffer, exactly n bytes: never a view into a shared pool that would copy more into the isolate.
  return getRandomValues(new Uint8Array(n));
}

/** Performs a function's fetch for the invocation `id` (the instance knows its grants); rejects with a coded error. */
export type PerformFetch = (request: EgressRequest, id: string) => Promise<EgressResponse>;

/**
 * fetch() for the sandbox. Never rejects (isolated-vm would surface a rejected host promise as an unhandled
 * rejection on the host): a refusal comes back as `{ ok: false, message }`, which the sandbox turns into a TypeError.
 */
export async function fetchBridge(perform: PerformFetch, request: unknown, id: unknown): Promise<FetchReply> {
  const r = request as Record<string, unknown> | null;
  const valid =
    r !== null &&
    typeof r === "object" &&
    typeof r.url === "string" &&
    typeof r.method === "string" &&
    Array.isArray(r.headers) &&
    r.headers.every((h) => Array.isArray(h) && h.length === 2 && h.every((s) => typeof s === "string")) &&
    (r.body === null || typeof r.body === "string" || r.body instanceof Uint8Array);
  if (!valid) return { ok: false, message: "fetch failed: the request is malformed" };
  try {
    const response = await perform(r as unknown as EgressRequest, String(id));
    return { ok: true, response };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const message = err instanceof Error ? err.message : String(err);
    if (typeof code !== "string") return { ok: false, message: `fetch failed: ${message}` };
    return { ok: false, message: message.startsWith(`${code}:`) ? message : `${code}: ${message}` };
  }
}

/**
 * The bridges, in the order `__pave_setup` takes them after its first six (log … doneNow) (`onAsync` hears of each
 * asynchronous call, which ends the isolate's inline runs: see Instance):
 * `randomBytes(n) → Uint8Array` (blocking), `hostCrypto(call) → Promise<CryptoReply>`,
 * `hostFetch(request) → Promise<FetchReply>` (References applied with copied arguments and results), and
 * isolated-vm's module itself, of which the sandbox keeps only `ExternalCopy` (structuredClone).
 */
export function webBridges(perform: PerformFetch, onAsync: () => void): ivm.Transferable[] {
  return [
    new ivm.Callback(randomBytes),
    new ivm.Reference((call: unknown) => {
      onAsync();
      return cryptoCall(call);
    }),
    new ivm.Reference((request: unknown, id: unknown) => {
      onAsync();
      return fetchBridge(perform, request, id);
    }),
    // The module crosses as a module of the isolate's own (its type declarations do not say it can), and its
    // ExternalCopy then serialises on the isolate's thread; a class transferred alone arrives unconstructible.
    ivm as unknown as ivm.Transferable,
  ];
}
