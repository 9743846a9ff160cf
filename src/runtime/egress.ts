// A function's outgoing HTTP: what the sandbox's fetch() asks the host for. Least privilege by default — with no
// egress grant, every request is refused; allow-listed egress (pave.yaml `bindings.egress`) is built on this.
import { PaveError } from "../errors.ts";

/** A request as the sandbox hands it over (buffered: the body was read to its end inside the isolate). */
export interface EgressRequest {
  url: string;
  method: string;
  headers: [string, string][];
  body: Uint8Array | string | null;
}

/** The response as the sandbox receives it; `url` and `redirected` describe redirects the host followed. */
export interface EgressResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Uint8Array;
  url?: string;
  redirected?: boolean;
}

/**
 * Performs a function's fetch. Rejects with an `EgressDenied` PaveError when the function may not reach the host;
 * inside the isolate that becomes a TypeError whose message starts with `EgressDenied: `.
 * Today no function holds an egress grant, so every request is refused.
 */
export function egressFetch(request: EgressRequest): Promise<EgressResponse> {
  let host: string;
  try {
    host = new URL(request.url).host;
  } catch {
    host = String(request.url);
  }
  return Promise.reject(
    new PaveError(
      "EgressDenied",
      `the function has no egress grant for ${host}; add it to bindings.egress in pave.yaml to allow it`,
    ),
  );
}
