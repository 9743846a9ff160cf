// The committed docs/openapi.json is what the code generates: change a route, run `npm run openapi`.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { currentOpenApi } from "../../src/api/index.ts";
import { VERSION } from "../../src/version.ts";

test("docs/openapi.json matches the route declarations", () => {
  const committed = JSON.parse(readFileSync(new URL("../../docs/openapi.json", import.meta.url), "utf8")) as unknown;
  assert.deepEqual(
    committed,
    JSON.parse(JSON.stringify(currentOpenApi(VERSION))),
    "run `npm run openapi` and commit docs/openapi.json",
  );
});

test("every operation declares the role it needs and documents its errors", () => {
  const doc = currentOpenApi(VERSION) as {
    paths: Record<string, Record<string, { "x-pave-role"?: string; responses: object }>>;
  };
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      assert.ok(op["x-pave-role"], `${method} ${path} has no role`);
      assert.ok("default" in op.responses, `${method} ${path} documents no error response`);
    }
  }
});
