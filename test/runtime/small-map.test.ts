import assert from "node:assert/strict";
import { test } from "node:test";
import { SmallMap } from "../../src/runtime/small-map.ts";

test("SmallMap gets, replaces and deletes entries, in any order", () => {
  const m = new SmallMap<string, number>();
  m.set("a", 1);
  m.set("b", 2);
  m.set("c", 3);
  m.set("b", 20);
  assert.equal(m.size, 3);
  assert.equal(m.get("b"), 20);
  m.delete("a");
  assert.equal(m.get("a"), undefined);
  assert.equal(m.get("c"), 3);
  assert.equal(m.get("b"), 20);
  m.delete("missing");
  m.delete("c");
  m.delete("b");
  assert.equal(m.size, 0);
  assert.equal(m.get("b"), undefined);
});
