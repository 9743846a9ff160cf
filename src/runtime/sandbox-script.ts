// Builds the sandbox (sandbox/index.ts and its polyfills) into one script, once per process, and keeps V8's code
// cache for it, so a new instance deserialises compiled code instead of parsing the sandbox again.
// (A V8 startup snapshot would be faster still, but isolated-vm 5 on Node 20 restores closures in snapshots
// wrongly — functions lose bindings to their enclosing declarations — so the snapshot is not used.)
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import ivm from "isolated-vm";

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
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  try {
    const script = (await isolate.compileScript(code, {
      filename: "pave:sandbox",
      produceCachedData: true,
    })) as ivm.Script & {
      cachedData?: ivm.ExternalCopy<ArrayBuffer>;
    };
    return { code, cachedData: script.cachedData };
  } finally {
    isolate.dispose();
  }
}
