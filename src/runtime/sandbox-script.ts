// Builds the sandbox (sandbox/index.ts and its polyfills) into one script, once per process, and keeps V8's code
// cache for it, taken after a warm-up run so it holds the compiled functions of a boot and a first invocation.
// (A V8 startup snapshot would be faster still, but isolated-vm 5 on Node 20 restores closures in snapshots
// wrongly — functions lose bindings to their enclosing declarations — so the snapshot is not used.)
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import ivm from "isolated-vm";
import { newIsolate } from "./isolate-heap.ts";
import { type FetchInvocation, toWire, type WireInvocation } from "./protocol.ts";

export interface SandboxScript {
  code: string;
  cachedData: ivm.ExternalCopy<ArrayBuffer> | undefined;
}

let cached: Promise<SandboxScript> | undefined;

/** The sandbox script with its code cache; built once per process. */
export function sandboxScript(): Promise<SandboxScript> {
  cached ??= buildScript();
  return cached;
}

async function buildScript(): Promise<SandboxScript> {
  const out = await build({
    entryPoints: [fileURLToPath(new URL("./sandbox/index.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2022",
    legalComments: "none",
    minify: true,
    logLevel: "silent",
  });
  const code = out.outputFiles?.[0]?.text;
  if (!code) throw new Error("sandbox build produced no output");
  const isolate = newIsolate(64);
  try {
    const context = await isolate.createContext();
    await (await isolate.compileScript(code, { filename: "pave:sandbox" })).run(context);
    try {
      await warmUp(context);
    } catch {
      // Without the warm-up the cache is only slower, never wrong; sandbox-script.test.ts fails when this happens.
    }
    // V8 compiles a function's body on its first call, and a code cache made at compile time holds only the top
    // level. Compiling the same source again finds the isolate's already compiled script, so this cache also holds
    // everything the run and the warm-up compiled: new isolates deserialise it instead of compiling it again.
    const script = (await isolate.compileScript(code, {
      filename: "pave:sandbox",
      produceCachedData: true,
    })) as ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer> };
    return { code, cachedData: script.cachedData };
  } finally {
    isolate.dispose();
  }
}

/**
 * Sets the sandbox up with inert bridges and runs one invocation of a hello function: what every cold start runs.
 * Passes one stand-in per `__pave_setup` parameter (see boot() in instance.ts); a new parameter needs one here too.
 */
async function warmUp(context: ivm.Context): Promise<void> {
  const setup = (await context.global.get("__pave_setup", { reference: true })) as ivm.Reference<
    (...args: unknown[]) => () => unknown
  >;
  const none = () => null;
  const bridges = (await setup.apply(
    undefined,
    [
      new ivm.Callback(none),
      new ivm.Reference(() => Promise.resolve()),
      new ivm.Callback(none),
      new ivm.Callback(() => ["http://localhost/"]),
      new ivm.Callback(none),
      new ivm.Callback(none),
      new ivm.Callback((n: number) => new Uint8Array(n)),
      new ivm.Reference(() => Promise.resolve({ ok: false, name: "Error", message: "warm-up", dom: false })),
      new ivm.Reference(() => Promise.resolve({ ok: false, message: "warm-up" })),
      ivm as unknown as ivm.Transferable,
      new ivm.Reference(() => Promise.resolve({ ok: false, message: "warm-up" })),
      new ivm.Callback(none),
      new ivm.Callback(none),
    ],
    { result: { reference: true } },
  )) as unknown as ivm.Reference<unknown[]>;
  const init = (await bridges.get(1, { reference: true })) as ivm.Reference<() => unknown>;
  await context.eval(
    `globalThis.__pave_module = { default: { fetch: async (r) => { await r.text(); return new Response("hello", { headers: { "x-warm": "1" } }); } } };`,
  );
  const ready = (await init.apply(undefined, [], { result: { reference: true } })) as ivm.Reference<unknown[]>;
  const dispatch = (await ready.get(1, { reference: true })) as ivm.Reference<
    (invs: WireInvocation[]) => Promise<null>
  >;
  const invocation: FetchInvocation = {
    kind: "fetch",
    meta: { id: "warm-up", functionName: "warm-up", functionVersion: "v0", memoryMb: 64, deadline: Date.now() + 1000 },
    method: "GET",
    url: "http://localhost/",
    headers: [["host", "localhost"]],
    body: null,
  };
  await dispatch.apply(undefined, [[toWire(invocation)]], { arguments: { copy: true }, result: { promise: true } });
}
