// The route table in docs/access.md is what the route declarations generate: change a route's role or scope,
// run `npm run openapi`. And every route says where its environment comes from, or why it has none.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { type ApiDeps, apiRoutes, currentAccessTable } from "../../src/api/index.ts";

test("docs/access.md's route table matches the route declarations", () => {
  const doc = readFileSync(new URL("../../docs/access.md", import.meta.url), "utf8");
  const block = /<!-- routes:begin[^>]*-->\n([\s\S]*?)\n<!-- routes:end -->/.exec(doc);
  assert.ok(block, "docs/access.md has lost its routes:begin / routes:end markers");
  assert.equal(block[1], currentAccessTable(), "run `npm run openapi` and commit docs/access.md");
});

test("a route tied to no environment says why", () => {
  for (const r of apiRoutes({} as ApiDeps)) {
    if (r.scope && "none" in r.scope) assert.ok(r.scope.none.length > 20, `${r.method} ${r.path}: say why`);
  }
});
