// Every error code a user can meet is documented: docs/errors.md names each code of src/errors.ts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { errorCodes, PaveError, toErrorBody } from "../src/errors.ts";

test("every error code is documented in docs/errors.md", () => {
  const doc = readFileSync(new URL("../docs/errors.md", import.meta.url), "utf8");
  const missing = Object.keys(errorCodes).filter((code) => !doc.includes(`\`${code}\``));
  assert.deepEqual(missing, [], `document these codes in docs/errors.md: ${missing.join(", ")}`);
});

test("a PaveError keeps its code and status; anything else is Internal with no detail", () => {
  const known = toErrorBody(new PaveError("Timeout", "too slow", { details: { activationId: "a" } }));
  assert.equal(known.status, 504);
  assert.deepEqual(known.body, { error: { code: "Timeout", message: "too slow", details: { activationId: "a" } } });
  const unknown = toErrorBody(new Error("secret path /etc/x"));
  assert.equal(unknown.status, 500);
  assert.equal(unknown.body.error.code, "Internal");
  assert.ok(!unknown.body.error.message.includes("/etc/x"));
});
