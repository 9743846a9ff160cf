// Roles and environment scopes: the rank order, `*`, narrowing when a token creates another, and Forbidden
// messages that name the role needed or the environment and the token's scopes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inScope, normalizeScopes, requireRole, requireScope, scopesWithin } from "../../src/auth/index.ts";
import type { TokenRecord } from "../../src/store/index.ts";

const token = (role: TokenRecord["role"], envs: string[]): TokenRecord => ({
  id: "id",
  hash: "h",
  name: "ci",
  role,
  envs,
  createdAt: 0,
  expiresAt: null,
  revokedAt: null,
});

describe("scopes", () => {
  it("* covers every environment and every-environment requests; a list covers its members only", () => {
    assert.ok(inScope(["*"], "prod"));
    assert.ok(inScope(["*"], "*"));
    assert.ok(inScope(["prod", "staging"], "staging"));
    assert.ok(!inScope(["staging"], "prod"));
    assert.ok(!inScope(["prod", "staging"], "*"), "a scoped token may not span all environments");
  });

  it("a token may hand on its environments or fewer", () => {
    assert.ok(scopesWithin(["staging"], ["*"]));
    assert.ok(scopesWithin(["staging"], ["prod", "staging"]));
    assert.ok(!scopesWithin(["*"], ["prod", "staging"]));
    assert.ok(!scopesWithin(["prod"], ["staging"]));
  });

  it("normalises to a sorted set, * alone", () => {
    assert.deepEqual(normalizeScopes(["staging", "prod", "staging"]), ["prod", "staging"]);
    assert.deepEqual(normalizeScopes(["prod", "*"]), ["*"]);
  });
});

describe("Forbidden messages", () => {
  it("name the role needed", () => {
    assert.doesNotThrow(() => requireRole(token("admin", ["*"]), "operator", "X"));
    assert.throws(
      () => requireRole(token("viewer", ["*"]), "developer", "DELETE /api/v1/functions/:name"),
      (err: { code: string; message: string }) =>
        err.code === "Forbidden" && /needs the developer role; token ci has viewer/.test(err.message),
    );
  });

  it("name the environment and the token's scopes, or ask for one environment", () => {
    assert.throws(
      () => requireScope(token("developer", ["staging"]), "prod", "GET /api/v1/functions"),
      /scoped to staging; environment prod is outside it: use --env staging/,
    );
    assert.throws(
      () => requireScope(token("viewer", ["a", "b"]), "*", "GET /api/v1/cost"),
      /GET \/api\/v1\/cost spans every environment, but token ci is scoped to a, b/,
    );
  });
});
