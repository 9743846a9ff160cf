// The sandbox: evaluated once into the V8 snapshot every instance starts from. It installs the Web globals,
// then waits for the host to call `__pave_setup` with its bridges, which it hides from function code.
import "fast-text-encoding";
import type { HandlerStyle, Invocation, SandboxLogLevel, SandboxResult } from "../protocol.ts";
import { makeConsole } from "./console.ts";
import { dispatchLambda, dispatchWeb } from "./dispatch.ts";
import { Request, Response } from "./fetch-api.ts";
import { Headers } from "./headers.ts";
import { makeTimers } from "./timers.ts";
import { setUrlParser, URL, URLSearchParams } from "./url.ts";

const global = globalThis as unknown as Record<string, unknown>;

/** The global a function bundle assigns its exports to (see deploy/bundle.ts). */
const MODULE_GLOBAL = "__pave_module";

Object.assign(global, {
  URL,
  URLSearchParams,
  Headers,
  Request,
  Response,
  queueMicrotask: (fn: () => void) => void Promise.resolve().then(fn),
  self: global,
});

type Respond = (result: SandboxResult) => void;

/**
 * Called once per instance by the host, before function code runs. Returns `init`, which the host calls after
 * evaluating the bundle; `init` returns the handler style and the dispatch function.
 */
global.__pave_setup = (
  log: (level: SandboxLogLevel, message: string) => void,
  sleep: HostReference<[number], unknown>,
  respond: Respond,
  parseUrl: (input: string, base?: string) => string[] | null,
) => {
  delete global.__pave_setup;
  setUrlParser(parseUrl);
  Object.assign(global, {
    console: makeConsole(log),
    ...makeTimers((ms) =>
      sleep.apply(undefined, [ms], { arguments: { copy: true }, result: { promise: true, copy: true } }),
    ),
  });

  return (): [HandlerStyle, (inv: Invocation) => Promise<SandboxResult | null>] | string => {
    const mod = global[MODULE_GLOBAL] as Record<string, unknown> | undefined;
    global[MODULE_GLOBAL] = undefined;
    const web = mod?.default as { fetch?: unknown } | undefined;
    if (web && typeof web.fetch === "function") {
      return ["web", (inv) => dispatchWeb(web as { fetch: Function }, inv, respond)];
    }
    if (mod && typeof mod.handler === "function") {
      return ["lambda", (inv) => dispatchLambda(mod.handler as Function, inv)];
    }
    const found = mod ? Object.keys(mod).join(", ") || "nothing" : "nothing";
    return `the entry must export default { fetch(request, env, ctx) } or export a handler(event, context); it exports ${found}`;
  };
};
