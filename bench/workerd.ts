// A second baseline for HTTP throughput: the same hello function under Cloudflare's workerd, in a child process.
// Raw node:http says what Pave costs over no platform at all; workerd says how Pave compares to another isolate runtime.
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { freePort, start, stop, waitUntil } from "./children.ts";
import { HELLO_BODY } from "./hello.ts";
import type { Target } from "./http.ts";

// The binary itself, not node_modules/.bin/workerd: that is a Node wrapper, and killing it orphans the server.
const WORKERD: string = createRequire(import.meta.url)("workerd").default;

/** One service running the module worker, one HTTP socket on loopback. */
function config(port: number, compatibilityDate: string): string {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "hello", worker = .hello) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "hello") ],
);

const hello :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "${compatibilityDate}",
);
`;
}

/** `workerd --version` prints e.g. "workerd 2026-11-17": the newest compatibility date the binary supports. */
export async function workerdVersion(): Promise<string> {
  const { stdout } = await promisify(execFile)(WORKERD, ["--version"]);
  const date = /\d{4}-\d{2}-\d{2}/.exec(stdout)?.[0];
  if (!date) throw new Error(`workerd --version printed no date: ${stdout}`);
  return date;
}

/** Bundles `fnDir/index.ts` as an ES module into `tmp/workerd/`, starts `workerd serve` there; the target is `GET /`. */
export async function startWorkerd(tmp: string, fnDir: string): Promise<Target & { version: string }> {
  const dir = join(tmp, "workerd");
  await mkdir(dir);
  const bundle = await build({
    entryPoints: [join(fnDir, "index.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    logLevel: "silent",
  });
  await writeFile(join(dir, "worker.js"), bundle.outputFiles[0]?.text ?? "");
  const version = await workerdVersion();
  const port = await freePort();
  await writeFile(join(dir, "config.capnp"), config(port, version));
  const child = start(["serve", join(dir, "config.capnp"), "--verbose"], {}, WORKERD);
  try {
    const url = `http://127.0.0.1:${port}/`;
    await waitUntil("workerd", child, async () => {
      const res = await fetch(url);
      return res.status === 200 && (await res.text()) === HELLO_BODY;
    });
    return { url, version, pid: child.pid, stop: () => stop(child) };
  } catch (err) {
    await stop(child);
    throw err;
  }
}
