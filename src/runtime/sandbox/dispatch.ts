// Runs one invocation against the function's handler. The result is the value the returned promise resolves with —
// no extra round trip to the host — unless ctx.waitUntil work is pending: then it goes out early through `respond`
// and the promise settles (with null) only after that work, which keeps the instance busy until then.
import type { EventInvocation, FetchInvocation, Invocation, SandboxResult, ScheduledInvocation } from "../protocol.ts";
import { drainBody } from "./body.ts";
import { hostRequest, Response } from "./fetch-api.ts";
import { headerPairs } from "./headers.ts";
import { runQueue } from "./queue.ts";

type Respond = (result: SandboxResult) => void;

function errorResult(err: unknown): SandboxResult {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : `Uncaught ${String(err)}`;
  if (err instanceof Error && err.stack) console.error(err.stack);
  return { kind: "error", code: "FunctionError", message };
}

/**
 * A web-standard module's default export: `fetch` for HTTP and direct invokes, `scheduled` for schedule ticks,
 * `queue` for topic batches.
 */
export interface WebHandlers {
  fetch?: unknown;
  scheduled?: unknown;
  queue?: unknown;
}

export async function dispatchWeb(
  mod: WebHandlers,
  env: object,
  inv: Invocation,
  respond: Respond,
): Promise<SandboxResult | null> {
  const pending: Promise<unknown>[] = [];
  const ctx = {
    waitUntil: (p: unknown) => void pending.push(Promise.resolve(p)),
    passThroughOnException: () => {},
  };
  let result: SandboxResult;
  try {
    result =
      inv.kind === "scheduled"
        ? await runScheduled(mod, env, ctx, inv)
        : inv.kind === "queue"
          ? await runQueue(mod, env, ctx, inv)
          : await runFetch(mod, env, ctx, inv as FetchInvocation);
  } catch (err) {
    result = errorResult(err);
  }
  if (pending.length === 0) return result;
  respond(result);
  await settle(pending);
  return null;
}

async function runFetch(mod: WebHandlers, env: object, ctx: object, req: FetchInvocation): Promise<SandboxResult> {
  if (typeof mod.fetch !== "function") {
    return { kind: "error", code: "InvalidHandler", message: missing("fetch(request, env, ctx)", "an HTTP request") };
  }
  const request = hostRequest(req.url, req.method, req.headers, req.body);
  const response: unknown = await mod.fetch(request, env, ctx);
  if (!(response instanceof Response)) {
    const got =
      response === null
        ? "null"
        : typeof response === "object"
          ? Object.prototype.toString.call(response)
          : typeof response;
    return { kind: "error", code: "InvalidResponse", message: `fetch() must return a Response, got ${got}` };
  }
  return responseResult(response);
}

/** Cloudflare's shape: `{ cron, scheduledTime, type, noRetry() }`; whatever the handler returns is ignored. */
async function runScheduled(
  mod: WebHandlers,
  env: object,
  ctx: object,
  inv: ScheduledInvocation,
): Promise<SandboxResult> {
  if (typeof mod.scheduled !== "function") {
    return { kind: "error", code: "InvalidHandler", message: missing("scheduled(event, env, ctx)", "a schedule tick") };
  }
  // Pave never retries a tick (the next one comes), so noRetry has nothing to turn off.
  const event = { type: "scheduled", cron: inv.cron, scheduledTime: inv.scheduledTime, noRetry: () => {} };
  await mod.scheduled(event, env, ctx);
  return { kind: "value", json: "null" };
}

function missing(handler: string, what: string): string {
  return `the function's default export has no ${handler}, which ${what} needs`;
}

/** The Response as it leaves the isolate: its body read to the end (bodies are buffered, never streamed). */
async function responseResult(response: Response): Promise<SandboxResult> {
  let body: Awaited<ReturnType<typeof drainBody>>;
  try {
    body = await drainBody(response);
  } catch (err) {
    const message = `the Response body cannot be sent: ${err instanceof Error ? err.message : String(err)}`;
    return { kind: "error", code: "InvalidResponse", message };
  }
  const headers = response.headers;
  return { kind: "response", status: response.status, headers: headerPairs(headers) ?? [...headers], body };
}

export async function dispatchLambda(handler: Function, env: object, inv: Invocation): Promise<SandboxResult> {
  const { meta, event, resultOptional } = inv as EventInvocation;
  const context = {
    awsRequestId: meta.id,
    functionName: meta.functionName,
    functionVersion: meta.functionVersion,
    // AWS passes the memory size as a string; code that parses it keeps working.
    memoryLimitInMB: String(meta.memoryMb),
    invokedFunctionArn: `arn:pave:lambda:local:000000000000:function:${meta.functionName}`,
    logGroupName: `/pave/${meta.functionName}`,
    logStreamName: meta.functionVersion,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, meta.deadline - Date.now()),
    // Pave's bindings (kv, services, topics, secrets), as web-style handlers get them in `env`.
    env,
  };
  let value: unknown;
  try {
    value = await callLambda(handler, JSON.parse(event), context);
  } catch (err) {
    return errorResult(err);
  }
  let result: SandboxResult;
  try {
    const json = value === undefined ? (resultOptional ? "null" : undefined) : JSON.stringify(value);
    result =
      json === undefined
        ? {
            kind: "error",
            code: "InvalidResponse",
            message: "the handler returned undefined; return a value or { statusCode, body }",
          }
        : { kind: "value", json };
  } catch (err) {
    result = {
      kind: "error",
      code: "InvalidResponse",
      message: `the handler's result is not JSON: ${(err as Error).message}`,
    };
  }
  return result;
}

/** Supports both async handlers and the older callback style `(event, context, callback)`. */
function callLambda(handler: Function, event: unknown, context: object): Promise<unknown> {
  if (handler.length < 3) return Promise.resolve().then(() => handler(event, context));
  return new Promise((resolve, reject) => {
    const returned = handler(event, context, (err: unknown, value: unknown) => (err ? reject(err) : resolve(value)));
    if (returned && typeof (returned as Promise<unknown>).then === "function")
      (returned as Promise<unknown>).then(resolve, reject);
  });
}

async function settle(pending: Promise<unknown>[]): Promise<void> {
  // waitUntil may be called while earlier promises settle, so drain until nothing new arrived.
  for (let done = 0; done < pending.length; ) {
    const batch = pending.slice(done);
    done = pending.length;
    for (const r of await Promise.allSettled(batch)) {
      if (r.status === "rejected") console.error("waitUntil promise rejected:", r.reason);
    }
  }
}
