// Version ids are content hashes: the same manifest and bundle give the same id whatever the key order.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Manifest, validateManifest } from "../../src/deploy/manifest.ts";
import { canonicalJson, versionId } from "../../src/deploy/version.ts";

const manifest: Manifest = validateManifest({
  name: "checkout",
  tags: { team: "orders", feature: "payments" },
  bindings: { services: { INVENTORY: "inventory" }, secrets: ["STRIPE_KEY"] },
});

/** The same object with every mapping's keys in reverse order. */
function reversed<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reversed) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reversed(v)]),
    ) as T;
  }
  return value;
}

describe("versionId", () => {
  it("is a short hex id, stable across calls", () => {
    const id = versionId(manifest, "bundle");
    assert.match(id, /^[0-9a-f]{12}$/);
    assert.equal(versionId(manifest, "bundle"), id);
  });

  it("does not depend on key order, at any depth", () => {
    const other = reversed(manifest);
    assert.notDeepEqual(Object.keys(other), Object.keys(manifest));
    assert.equal(versionId(other, "bundle"), versionId(manifest, "bundle"));
    const fromYamlOrder = validateManifest({
      bindings: { secrets: ["STRIPE_KEY"], services: { INVENTORY: "inventory" } },
      tags: { feature: "payments", team: "orders" },
      name: "checkout",
    });
    assert.equal(versionId(fromYamlOrder, "bundle"), versionId(manifest, "bundle"));
  });

  it("changes when the bundle changes", () => {
    assert.notEqual(versionId(manifest, "bundle"), versionId(manifest, "bundle "));
  });

  it("changes when the manifest changes, including nested values and list order", () => {
    const base = versionId(manifest, "bundle");
    assert.notEqual(versionId({ ...manifest, memory: 256 }, "bundle"), base);
    assert.notEqual(versionId({ ...manifest, tags: { ...manifest.tags, team: "cart" } }, "bundle"), base);
    const twoSecrets = { ...manifest, bindings: { ...manifest.bindings, secrets: ["A", "B"] } };
    const swapped = { ...manifest, bindings: { ...manifest.bindings, secrets: ["B", "A"] } };
    assert.notEqual(versionId(twoSecrets, "bundle"), versionId(swapped, "bundle"));
  });

  it("cannot be forged by moving bytes between manifest and bundle", () => {
    // The separator keeps (manifest, bundle) pairs from colliding by concatenation.
    const json = canonicalJson(manifest);
    assert.ok(!json.includes("\0"));
    assert.notEqual(versionId(manifest, "xy"), versionId({ ...manifest, name: "checkout" }, "x y"));
  });
});

describe("canonicalJson", () => {
  it("sorts keys and keeps arrays in order", () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, 1], c: null } }), '{"a":{"c":null,"d":[3,1]},"b":1}');
  });
});
