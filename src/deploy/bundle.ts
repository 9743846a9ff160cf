// Bundles a function's entry and its npm imports into one classic script for the isolate (esbuild).
// The script leaves the module's exports on `globalThis.__pave_module`, where the sandbox finds the handler.
import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { build, type Message } from "esbuild";
import { PaveError } from "../errors.ts";
import { type Manifest, parseManifest } from "./manifest.ts";

/** The global the bundle assigns its exports to; the sandbox reads it. */
export const MODULE_GLOBAL = "__pave_module";

/** A bundle larger than this is refused: it would make every cold start slow. */
export const MAX_BUNDLE_BYTES = 10 * 1024 * 1024;

export interface FunctionPackage {
  /** The manifest as written (what the server validates again). */
  raw: Record<string, unknown>;
  /** The same, validated and normalised. */
  manifest: Manifest;
  bundle: string;
}

/** Reads `DIR/pave.yaml`, validates it and bundles its entry. Errors carry file:line. */
export async function packageFunction(dir: string): Promise<FunctionPackage> {
  const manifestPath = join(dir, "pave.yaml");
  let text: string;
  try {
    text = await readFile(manifestPath, "utf8");
  } catch {
    throw new PaveError("InvalidManifest", `${manifestPath}: not found; a function directory needs a pave.yaml`);
  }
  const { raw, manifest } = parseManifest(text, manifestPath);
  const bundle = await bundleEntry(dir, manifest.entry);
  return { raw, manifest, bundle };
}

export async function bundleEntry(dir: string, entry: string): Promise<string> {
  let result: Awaited<ReturnType<typeof build>>;
  try {
    result = await build({
      absWorkingDir: dir,
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: "iife",
      globalName: MODULE_GLOBAL,
      // "browser" resolves npm packages to their web builds; Node built-ins then fail to resolve, by design:
      // the isolate has no Node API.
      platform: "browser",
      target: "es2022",
      charset: "utf8",
      legalComments: "none",
      logLevel: "silent",
    });
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors ?? [];
    if (errors.length === 0) throw err;
    throw new PaveError("BuildError", errors.map((m) => formatMessage(dir, m)).join("\n"), {
      details: { errors: errors.map((m) => ({ file: m.location?.file, line: m.location?.line, message: m.text })) },
    });
  }
  const bundle = result.outputFiles?.[0]?.text ?? "";
  if (Buffer.byteLength(bundle) > MAX_BUNDLE_BYTES) {
    throw new PaveError("BuildError", `bundle is ${Buffer.byteLength(bundle)} bytes; the limit is ${MAX_BUNDLE_BYTES}`);
  }
  return bundle;
}

function formatMessage(dir: string, m: Message): string {
  const loc = m.location;
  if (!loc) return m.text;
  return `${relative(dir, join(dir, loc.file)) || loc.file}:${loc.line}:${loc.column + 1}: ${m.text}`;
}
