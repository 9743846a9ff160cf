// The host's bridges as the sandbox's own modules see them: handed over once by __pave_setup and kept in this
// module's scope, which function code cannot reach. Everything crossing them is copied, both ways.

import type { FetchReply, FetchRequest } from "../protocol.ts";

/** What a bridged fetch sends out, and what it gets back (see src/runtime/bindings/egress.ts). */
export type HostFetchRequest = FetchRequest;
export type HostFetchReply = FetchReply;

/** A Web Crypto operation for the host (see src/runtime/host-crypto.ts); byte fields are Uint8Array copies. */
export interface HostCryptoCall {
  op: "digest" | "importKey" | "exportKey" | "generateKey" | "sign" | "verify" | "encrypt" | "decrypt";
  /** Normalised: known members only, BufferSource members as bytes, `hash` as `{ name }`. */
  algorithm?: Record<string, unknown>;
  /** importKey: the key as given (bytes, or a JWK as plain data). */
  keyData?: unknown;
  format?: string;
  /** sign/verify/encrypt/decrypt/exportKey: the key's material and algorithm. */
  key?: { raw: Uint8Array; algorithm: Record<string, unknown> };
  usages?: string[];
  data?: Uint8Array;
  signature?: Uint8Array;
}

/** The result, or the error as data: its name, message, and whether it was a DOMException (else a JS error). */
export type HostCryptoReply = { ok: true; value: unknown } | { ok: false; name: string; message: string; dom: boolean };

/** isolated-vm's ExternalCopy: V8's own structured serialisation, done on the isolate's thread. */
export interface ExternalCopyClass {
  new (
    value: unknown,
    options?: { transferList?: unknown[] },
  ): {
    copy(options?: { release?: boolean }): unknown;
  };
}

const unset = (): never => {
  throw new Error("the sandbox is not set up");
};

const frozen = <T extends object>(o: T): T => Object.freeze(Object.assign(Object.create(null), o));
/**
 * Options for calls into host References: null prototypes, so function code that adds properties to
 * Object.prototype (isolated-vm reads inherited ones) cannot change how results come back.
 */
export const COPY_BOTH_WAYS = frozen({
  arguments: frozen({ copy: true }),
  result: frozen({ promise: true, copy: true }),
}) as { arguments: { copy: true }; result: { promise: true; copy: true } };

export const host = {
  /** `n` cryptographically random bytes (1 ≤ n ≤ 65536); a blocking call, so callers pool them. */
  randomBytes: unset as (n: number) => Uint8Array,
  crypto: unset as (call: HostCryptoCall) => Promise<HostCryptoReply>,
  fetch: unset as (request: HostFetchRequest) => Promise<HostFetchReply>,
  ExternalCopy: undefined as ExternalCopyClass | undefined,
};

/** Called once by __pave_setup with what the host handed over. */
export function connect(
  randomBytes: (n: number) => Uint8Array,
  crypto: HostReference<[HostCryptoCall], HostCryptoReply>,
  fetch: HostReference<[HostFetchRequest], HostFetchReply>,
  ivm: { ExternalCopy: ExternalCopyClass },
): void {
  host.randomBytes = randomBytes;
  host.crypto = (call) => crypto.apply(undefined, [call], COPY_BOTH_WAYS);
  host.fetch = (request) => fetch.apply(undefined, [request], COPY_BOTH_WAYS);
  // Only the class is kept: nothing else of isolated-vm's module stays reachable, even from here.
  host.ExternalCopy = ivm.ExternalCopy;
}
