// Bundling a function directory: npm imports are inlined, Node built-ins and syntax errors are BuildErrors with file:line:col.
// Temp dirs live inside the repo so esbuild resolves npm packages from the repo's node_modules.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { runInNewContext } from "node:vm";
import { bundleEntry, MODULE_GLOBAL, packageFunction } from "../../src/deploy/bundle.ts";
import { PaveError } from "../../src/errors.ts";

const testDir = dirname(dirname(fileURLToPath(import.meta.url)));

let root: string;
let n = 0;

/** Writes `files` into a fresh directory under the temp root and returns its path. */
async function fnDir(files: Record<string, string>): Promise<string> {
  const dir = join(root, `fn-${n++}`);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<PaveError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof PaveError, `expected a PaveError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

before(async () => {
  root = await mkdtemp(join(testDir, ".tmp-bundle-"));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("packageFunction", () => {
  it("bundles a TypeScript entry with an npm import into a script that defines the module global", async () => {
    const dir = await fnDir({
      "pave.yaml": "name: greet\nmemory: 64\n",
      "src/index.ts": [
        'import { z } from "zod";',
        "import { shout } from './util.ts';",
        "const Body = z.object({ who: z.string() });",
        "export function greet(input: unknown): string {",
        '  return shout("hello " + Body.parse(input).who);',
        "}",
        "export default { fetch: () => new Response('ok') };",
        "",
      ].join("\n"),
      "src/util.ts": "export const shout = (s: string): string => s.toUpperCase();\n",
    });
    const pkg = await packageFunction(dir);
    assert.equal(pkg.manifest.name, "greet");
    assert.equal(pkg.manifest.memory, 64);
    assert.equal(pkg.manifest.entry, "src/index.ts");
    assert.ok(!/\bimport\s*[{*]|\brequire\(/.test(pkg.bundle), "imports are inlined");

    // Run the classic script in a bare context, as the isolate would: no Node API, no module system.
    const sandbox: Record<string, unknown> = {};
    runInNewContext(pkg.bundle, sandbox);
    const mod = sandbox[MODULE_GLOBAL] as { greet: (x: unknown) => string; default: { fetch: unknown } };
    assert.equal(typeof mod.default.fetch, "function");
    assert.equal(mod.greet({ who: "pave" }), "HELLO PAVE");
    assert.throws(() => mod.greet({ who: 1 }), "zod is bundled and validates");
  });

  it("fails with InvalidManifest when pave.yaml is missing", async () => {
    const dir = await fnDir({ "src/index.ts": "export default {};\n" });
    await rejectsWith(packageFunction(dir), "InvalidManifest", /pave\.yaml: not found/);
  });

  it("fails with InvalidManifest before bundling when pave.yaml is invalid", async () => {
    const dir = await fnDir({ "pave.yaml": "name: ok\nmemroy: 1\n", "src/index.ts": "this is not code" });
    await rejectsWith(packageFunction(dir), "InvalidManifest", /pave\.yaml:2: memroy: unknown key/);
  });

  it("bundles the entry the manifest names", async () => {
    const dir = await fnDir({
      "pave.yaml": "name: custom\nentry: lib/main.js\n",
      "lib/main.js": "export const handler = async () => ({ statusCode: 204 });\n",
    });
    const pkg = await packageFunction(dir);
    const sandbox: Record<string, unknown> = {};
    runInNewContext(pkg.bundle, sandbox);
    assert.equal(typeof (sandbox[MODULE_GLOBAL] as { handler: unknown }).handler, "function");
  });
});

describe("bundleEntry", () => {
  it("reports a syntax error as BuildError with file:line:col", async () => {
    const dir = await fnDir({
      "src/index.ts": "export default {\n  fetch() {\n    return new Response('x';\n  },\n};\n",
    });
    const err = await rejectsWith(bundleEntry(dir, "src/index.ts"), "BuildError", /src\/index\.ts:3:\d+: /);
    const errors = err.details?.errors as { file?: string; line?: number }[];
    assert.equal(errors[0]?.line, 3);
  });

  it("refuses Node built-ins, with or without the node: prefix", async () => {
    for (const spec of ["node:fs", "fs"]) {
      const dir = await fnDir({
        "src/index.ts": `import { readFileSync } from "${spec}";\nexport default { fetch: () => readFileSync("/etc/passwd") };\n`,
      });
      await rejectsWith(bundleEntry(dir, "src/index.ts"), "BuildError", /src\/index\.ts:1:\d+: /);
    }
  });

  it("reports a missing entry as BuildError", async () => {
    const dir = await fnDir({ "pave.yaml": "name: a\n" });
    await rejectsWith(bundleEntry(dir, "src/index.ts"), "BuildError");
  });

  it("reports an unresolvable npm import as BuildError naming the package", async () => {
    const dir = await fnDir({ "src/index.ts": 'import x from "no-such-package-pave";\nexport default x;\n' });
    await rejectsWith(bundleEntry(dir, "src/index.ts"), "BuildError", /no-such-package-pave/);
  });
});
