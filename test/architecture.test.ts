// The layout rules of DESIGN.md §5, checked: domains meet only through each other's index.ts, the CLI reaches
// the server only through the client, only store/ imports SQL drivers, only runtime/ imports isolated-vm.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";

const SRC = resolve(import.meta.dirname, "../src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [
    ...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+["']([^"']+)["']/gm),
    ...text.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1] as string);
}

/** The top-level domain of a path under src/ ("" for files directly in src/). */
function domainOf(path: string): string {
  const rel = relative(SRC, path).split("/");
  return rel.length > 1 ? (rel[0] as string) : "";
}

const all = files(SRC);

test("domains import each other only through index.ts", () => {
  const bad: string[] = [];
  for (const file of all) {
    for (const spec of imports(file).filter((s) => s.startsWith("."))) {
      const target = resolve(dirname(file), spec);
      const from = domainOf(file);
      const to = domainOf(target);
      if (to === "" || to === from) continue;
      if (relative(join(SRC, to), target) !== "index.ts") bad.push(`${relative(SRC, file)} → ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

test("the CLI reaches the server only through the client (up.ts starts the node, backup.ts opens the store)", () => {
  const allowed = new Set(["client", "cli"]);
  const bad = all
    .filter((f) => domainOf(f) === "cli" && !f.endsWith("/up.ts") && !f.endsWith("/backup.ts"))
    .flatMap((f) =>
      imports(f)
        .filter((s) => s.startsWith(".") && !allowed.has(domainOf(resolve(dirname(f), s))))
        .map((s) => `${relative(SRC, f)} → ${s}`),
    );
  assert.deepEqual(bad, []);
});

test("only store/ speaks SQL and only runtime/ touches isolated-vm", () => {
  const owners: Record<string, string> = {
    "better-sqlite3": "store",
    pg: "store",
    kysely: "store",
    "isolated-vm": "runtime",
  };
  const bad = all.flatMap((f) =>
    imports(f)
      .filter((s) => owners[s] !== undefined && owners[s] !== domainOf(f))
      .map((s) => `${relative(SRC, f)} imports ${s}`),
  );
  assert.deepEqual(bad, []);
});

test("code inside the isolate imports nothing from the host side", () => {
  const sandbox = join(SRC, "runtime", "sandbox");
  const bad = files(sandbox).flatMap((f) =>
    imports(f)
      .filter((s) => s.startsWith(".") && !resolve(dirname(f), s).startsWith(sandbox) && !s.endsWith("protocol.ts"))
      .map((s) => `${relative(SRC, f)} → ${s}`),
  );
  assert.deepEqual(bad, []);
});
