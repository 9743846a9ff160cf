// fetch(): builds the Request, honours its AbortSignal, and hands a buffered copy to the host, whose egress policy
// decides (src/runtime/bindings/egress.ts). A refusal or network failure is a TypeError, as the Fetch standard says.
import { drainBody } from "./body.ts";
import { host } from "./bridges.ts";
import { givenSignal, Request, type RequestInit, type Response, responseFromNetwork } from "./fetch-api.ts";
import { events } from "./lazy.ts";

const SCHEMES = new Set(["http:", "https:"]);

export function fetch(input: unknown, init?: RequestInit): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    let request: Request;
    try {
      request = new Request(input, init);
    } catch (err) {
      reject(err);
      return;
    }
    const signal = givenSignal(request);
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let settled = false;
    const unfollow = signal
      ? events.get().followSignal(signal, (reason) => {
          settled = true;
          reject(reason);
        })
      : () => {};
    const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.exec(request.url)?.[0].toLowerCase() ?? "";
    const send = SCHEMES.has(scheme)
      ? drainBody(request).then((body) =>
          host.fetch({
            url: request.url,
            method: request.method,
            headers: [...request.headers],
            body,
            redirect: request.redirect,
          }),
        )
      : Promise.reject(new TypeError(`fetch failed: the ${scheme} scheme is not supported (only http: and https:)`));
    send.then(
      (reply) => {
        unfollow();
        if (settled) return;
        if (!reply.ok) {
          reject(new TypeError(reply.message));
          return;
        }
        const r = reply.response;
        try {
          resolve(
            responseFromNetwork({
              status: r.status,
              statusText: r.statusText,
              headers: r.headers,
              body: r.body,
              url: r.url ?? request.url,
              redirected: r.redirected ?? false,
            }),
          );
        } catch (err) {
          // A response the Fetch standard cannot represent (a bad header, say) is a network error.
          reject(new TypeError(`fetch failed: ${err instanceof Error ? err.message : String(err)}`));
        }
      },
      (err: unknown) => {
        unfollow();
        if (!settled) reject(err instanceof TypeError ? err : new TypeError(`fetch failed: ${String(err)}`));
      },
    );
  });
}
