// The sandbox: evaluated in every new isolate. It installs the Web globals (globals.ts), then waits for the host
// to call `__pave_setup` with its bridges, which it hides from function code.
import {
  type BindingSpec,
  fromWire,
  type HandlerStyle,
  type Invocation,
  resultToWire,
  type SandboxLogLevel,
  type SandboxResult,
  type WireInvocation,
  type WireResult,
} from "../protocol.ts";
import { makeEnv } from "./bindings.ts";
import {
  COPY_BOTH_WAYS,
  connect,
  type ExternalCopyClass,
  type HostCryptoCall,
  type HostCryptoReply,
  type HostFetchReply,
  type HostFetchRequest,
} from "./bridges.ts";
import { makeConsole, reportError } from "./console.ts";
import { dispatchLambda, dispatchWeb, type WebHandlers } from "./dispatch.ts";
import { installGlobals } from "./globals.ts";
import { makeTimers } from "./timers.ts";
import { setUrlParser } from "./url.ts";

const global = globalThis as unknown as Record<string, unknown>;

/** The global a function bundle assigns its exports to (see deploy/bundle.ts). */
const MODULE_GLOBAL = "__pave_module";

installGlobals(global, reportError);
// Not Node's process: only `env`, where a function finds its secrets (as Lambda code expects, and as npm packages
// probing process.env.NODE_ENV do). Filled by `bind` before the function's module runs.
global.process = Object.freeze({ env: Object.freeze({}) });

type Respond = (id: string, result: WireResult) => void;

/** A binding call's answer: the host never rejects (see host-bridges.ts), it says why it refused. */
type HostCallReply = { ok: true; value: unknown } | { ok: false; message: string };

/** Results go out flat (see resultToWire); null says an invocation that responded early is now over. */
type Done = (id: string, result: WireResult | null) => void;

type Log = (id: string, level: SandboxLogLevel, message: string, fields: string | undefined) => void;

/**
 * Whether the host is inside a synchronous (inline) call: results and log lines are then handed over at once, on its
 * thread; otherwise they are queued to it, and the isolate goes on without waiting.
 */
interface HostMode {
  inline: boolean;
  /**
   * Results of threaded invocations not yet handed over, as id, result, id, result…: sent in one call when their batch
   * ends, when an invocation starts waiting on the host, or once the oldest one's run started a millisecond ago (so
   * a slow handler's result goes out as it ends). One call per batch of quick invocations instead of one each: each
   * was a task on the host's event loop.
   */
  results: unknown[];
  /** Date.now() when the run of the oldest of `results` started. */
  since: number;
  /** Threaded batches not over yet: each hands over what is left when it ends. */
  open: number;
  /** Hands `results` over (see __pave_setup). */
  flush: () => void;
}

const promiseAll = Promise.all.bind(Promise);

/** Hands results (id, result, …) over one by one; one that cannot be copied out becomes an InvalidResponse. */
function deliverEach(done: Done, results: unknown[]): void {
  for (let i = 0; i < results.length; i += 2) {
    const id = results[i] as string;
    try {
      done(id, results[i + 1] as WireResult | null);
    } catch (err) {
      // The result could not be copied out (function code can put anything on a Response it tampers with).
      done(id, ["error", "InvalidResponse", `the result cannot leave the isolate: ${String(err)}`]);
    }
  }
}

/**
 * Takes invocations in batches (one host call for all that arrived together: each call into an isolate costs a
 * thread hand-off) and runs them strictly one after another, each to its end (waitUntil included), so every log
 * line belongs to the invocation that wrote it. Results go out as HostMode says: together per batch of quick ones, at
 * once from an inline run.
 */
function batched(
  run: (inv: Invocation) => Promise<SandboxResult | null>,
  onStart: (id: string) => void,
  onEnd: (id: string) => void,
  doneNow: Done,
  host: HostMode,
) {
  let chain: Promise<unknown> = Promise.resolve();
  const report = (id: string, result: SandboxResult | null, startedAt: number) => {
    const wire = result === null ? null : resultToWire(result);
    if (host.inline) {
      deliverEach(doneNow, [id, wire]);
      return;
    }
    if (host.results.length === 0) host.since = startedAt;
    host.results.push(id, wire);
    // No batch will end to take it (an inline run that waited on the host ended late), or it has waited long enough.
    if (host.open === 0 || Date.now() - host.since >= 1) host.flush();
  };
  const one = (inv: Invocation): Promise<void> => {
    let startedAt = 0;
    const next = chain.then(() => {
      startedAt = Date.now();
      onStart(inv.meta.id);
      return run(inv);
    });
    chain = next.then(
      () => {},
      () => {},
    );
    return next.then(
      (r) => {
        onEnd(inv.meta.id);
        report(inv.meta.id, r, startedAt);
      },
      (err: unknown) => {
        onEnd(inv.meta.id);
        report(inv.meta.id, { kind: "error", code: "FunctionError", message: String(err) }, startedAt);
      },
    );
  };
  const threaded = async (invs: WireInvocation[]): Promise<null> => {
    host.inline = false;
    // A plain loop and a Promise.all captured at load: function code may have replaced Array.prototype.map.
    const runs: Promise<void>[] = [];
    host.open++;
    for (let i = 0; i < invs.length; i++) runs[i] = one(fromWire(invs[i] as WireInvocation));
    try {
      await promiseAll(runs);
    } finally {
      host.open--;
      host.flush();
    }
    return null;
  };
  /**
   * One invocation on the host's own thread (see Instance.#runInline): it runs to its end or its first wait on the
   * host before the host's call returns, so its result is handed over then and there. A result that comes later (the
   * code waited on the host) goes out asynchronously from isolated-vm's thread, as a threaded one does.
   */
  const inlineRun = (inv: WireInvocation | null): void => {
    // null: the host's call is over with the invocation still waiting on the host; its result goes out when it ends.
    host.inline = inv !== null;
    if (inv !== null) void one(fromWire(inv));
  };
  /**
   * Never settles: isolated-vm abandons the host's call waiting on it when the isolate goes, which is how the host
   * learns of it. Held here, since a promise nothing holds is collected, and that abandons the call too.
   */
  const never: Promise<never> = new Promise(() => {});
  const watch = (): Promise<never> => never;
  return [threaded, inlineRun, watch] as const;
}

/**
 * Called once per instance by the host (boot() in instance.ts, and with inert stand-ins by the warm-up in
 * sandbox-script.ts, which needs one for each new parameter), before function code runs. Returns `[bind, init]`: the
 * host calls `bind` with the version's bindings before evaluating the bundle (skipped when there are none), and
 * `init` after it; `init` returns the handler style and the dispatch function.
 */
global.__pave_setup = (
  log: Log,
  sleep: HostReference<[number], unknown>,
  respond: Respond,
  parseUrl: (input: string, base?: string) => string[] | null,
  done: Done,
  doneNow: Done,
  randomBytes: (n: number) => Uint8Array,
  hostCrypto: HostReference<[HostCryptoCall], HostCryptoReply>,
  hostFetch: HostReference<[HostFetchRequest, string], HostFetchReply>,
  ivm: { ExternalCopy: ExternalCopyClass },
  hostCall: HostReference<[string, string, unknown[]], HostCallReply>,
  logNow: Log,
  doneMany: (results: unknown[]) => void,
) => {
  delete global.__pave_setup;
  setUrlParser(parseUrl);
  // The invocation running now: log lines, fetches and binding calls act for it ("" while the module loads).
  let current = "";
  const onStart = (id: string) => {
    current = id;
  };
  const host: HostMode = {
    inline: false,
    results: [],
    since: 0,
    open: 0,
    flush: () => {
      if (host.results.length === 0) return;
      const results = host.results;
      host.results = [];
      try {
        doneMany(results);
      } catch {
        // One of them cannot be copied out: each on its own, so only that one fails.
        deliverEach(done, results);
      }
    },
  };
  // Before waiting on the host, what is finished goes out: it must not wait on this call too.
  const fetchFor: HostReference<[HostFetchRequest], HostFetchReply> = {
    apply: (receiver, [request], options) => {
      host.flush();
      return hostFetch.apply(receiver, [request, current], options);
    },
  };
  const cryptoCall: HostReference<[HostCryptoCall], HostCryptoReply> = {
    apply: (receiver, args, options) => {
      host.flush();
      return hostCrypto.apply(receiver, args, options);
    },
  };
  connect(randomBytes, cryptoCall, fetchFor, ivm);
  const timers = makeTimers(
    (ms) => {
      host.flush();
      return sleep.apply(undefined, [ms], COPY_BOTH_WAYS);
    },
    reportError,
    () => current,
  );
  const console = makeConsole((level, message, fields) =>
    (host.inline ? logNow : log)(current, level, message, fields),
  );
  for (const [name, value] of Object.entries({ console, ...timers.globals })) {
    Object.defineProperty(global, name, { value, writable: true, configurable: true, enumerable: false });
  }

  let env: object = Object.freeze({});
  const bind = (spec: BindingSpec) => {
    env = makeEnv(spec, (op, args) => {
      host.flush();
      return hostCall
        .apply(undefined, [current, op, args], COPY_BOTH_WAYS)
        .then((reply) => (reply.ok ? reply.value : Promise.reject(new Error(reply.message))));
    });
    global.process = Object.freeze({ env: Object.freeze({ ...spec.secrets }) });
  };

  const init = ():
    | [
        HandlerStyle,
        (invs: WireInvocation[]) => Promise<null>,
        (inv: WireInvocation | null) => void,
        () => Promise<never>,
      ]
    | string => {
    const mod = global[MODULE_GLOBAL] as Record<string, unknown> | undefined;
    global[MODULE_GLOBAL] = undefined;
    const web = mod?.default as WebHandlers | undefined;
    // A module may serve only schedule ticks (a cron job) or only topic batches: any handler makes it web-standard.
    if (
      web &&
      (typeof web.fetch === "function" || typeof web.scheduled === "function" || typeof web.queue === "function")
    ) {
      return [
        "web",
        ...batched(
          (inv) => dispatchWeb(web, env, inv, (r) => respond(inv.meta.id, resultToWire(r))),
          onStart,
          timers.cancelOwnedBy,
          doneNow,
          host,
        ),
      ];
    }
    if (mod && typeof mod.handler === "function") {
      const handler = mod.handler as Function;
      return [
        "lambda",
        ...batched((inv) => dispatchLambda(handler, env, inv), onStart, timers.cancelOwnedBy, doneNow, host),
      ];
    }
    const found = mod ? Object.keys(mod).join(", ") || "nothing" : "nothing";
    return `the entry must export default { fetch(request, env, ctx) } (or { scheduled(event, env, ctx) } or { queue(batch, env, ctx) }) or export a handler(event, context); it exports ${found}`;
  };
  return [bind, init];
};
