// Access through a real server: refused tokens (malformed, unknown, expired, revoked at once), environment
// scopes, what a token may hand on, bad input to token creation, and the last admin token kept.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { v7 } from "uuid";
import { createToken } from "../../src/auth/index.ts";
import { ApiError, PaveClient } from "../../src/client/index.ts";
import { startTestServer, type TestServer } from "./helpers.ts";

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(() => t.close());

/** GET /api/v1/PATH with an Authorization header as given; status and error. */
async function get(path: string, authorization?: string) {
  const res = await fetch(`${t.server.url}/api/v1${path}`, authorization ? { headers: { authorization } } : {});
  const body = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, error: body.error };
}

const as = (token: string) => new PaveClient({ url: t.server.url, token });

/** Asserts `p` rejects with the API error `code` and a message matching `message`. */
async function refused(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: ApiError) => {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

describe("refused tokens", () => {
  it("answers 401 with the reason for each malformed Authorization header", async () => {
    const admin = t.server.adminToken as string;
    const cases: [string | undefined, RegExp][] = [
      [undefined, /missing bearer token/],
      [admin, /not of the Bearer scheme/],
      [`Basic ${admin}`, /not of the Bearer scheme/],
      ["Bearer garbage", /not a Pave token/],
      ["Bearer ghp_0123456789abcdef", /not a Pave token/],
      [`Bearer ${admin.slice(0, 20)}`, /malformed Pave token: 20 characters/],
      [`Bearer ${admin}${"x".repeat(2000)}`, /too long/],
      [`Bearer pave_${"B".repeat(43)}`, /unknown token/],
    ];
    for (const [header, message] of cases) {
      const { status, error } = await get("/functions", header);
      assert.equal(status, 401, String(header).slice(0, 30));
      assert.equal(error?.code, "Unauthorized");
      assert.match(error?.message ?? "", message);
    }
  });

  it("refuses an expired token, saying when it expired", async () => {
    const { token } = await createToken(t.server.store, {
      name: "old",
      role: "viewer",
      expiresAt: Date.now() - 1000,
      now: Date.now() - 60_000,
    });
    await refused(as(token).listFunctions(), "Unauthorized", /token old \(.+\) expired at \d{4}-/);
  });

  it("stops a revoked token at once on this node", async () => {
    const created = await t.client.createToken({ role: "viewer", name: "soon-revoked" });
    const viewer = as(created.token);
    await viewer.listFunctions(); // now cached as valid
    const revoked = await t.client.revokeToken(created.id);
    assert.equal(revoked.state, "revoked");
    await refused(viewer.listFunctions(), "Unauthorized", /token soon-revoked \(.+\) was revoked at/);
    const again = await t.client.revokeToken(created.id);
    assert.equal(again.revokedAt, revoked.revokedAt, "revoking twice keeps the first time");
    await refused(t.client.revokeToken("no-such-id"), "TokenNotFound", /no token no-such-id; see `pave token ls`/);
  });
});

describe("environment scopes", () => {
  it("keeps a staging token out of prod, naming the environment and its scopes", async () => {
    const dev = as((await t.client.createToken({ role: "developer", envs: ["staging"], name: "stg" })).token);
    assert.deepEqual((await dev.listFunctions("staging")).functions, []);
    await refused(
      dev.listFunctions("prod"),
      "Forbidden",
      /token stg is scoped to staging; environment prod is outside/,
    );
    await refused(dev.listFunctions(), "Forbidden", /environment prod/);
    await refused(dev.putKvValue("carts", "k", "v", { env: "prod" }), "Forbidden", /environment prod/);
    await dev.putKvValue("carts", "k", "v", { env: "staging" });
    // Requests spanning every environment need a token scoped to *.
    await refused(dev.cost(), "Forbidden", /GET \/api\/v1\/cost spans every environment.+scoped to staging/);
    // Inside its scope it is answered: that the environment does not exist yet, then its cost once it does.
    await refused(dev.cost({ env: "staging" }), "EnvironmentNotFound", /no environment staging/);
    await t.client.createEnvironment({ name: "staging" });
    assert.ok(await dev.cost({ env: "staging" }));
  });

  it("checks an activation looked up by id against the activation's environment", async () => {
    const id = v7();
    await t.server.store.insertActivations([activation(id, "prod")], []);
    const stg = as((await t.client.createToken({ role: "viewer", envs: ["staging"], name: "stg-view" })).token);
    await refused(stg.getActivation(id), "Forbidden", /environment prod is outside/);
    assert.equal((await t.client.getActivation(id)).activation.env, "prod");
    await refused(stg.getActivation(v7()), "ActivationNotFound", /no activation/);
  });

  it("reads no environment from a query parameter a route does not declare, and refuses the parameter", async () => {
    const { token } = await t.client.createToken({ role: "viewer", envs: ["staging"], name: "stg-trace" });
    const trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    // A trace spans every environment: a staging token naming staging in the query must not get it.
    const named = await get(`/traces/${trace}?env=staging`, `Bearer ${token}`);
    assert.equal(named.status, 400, JSON.stringify(named));
    assert.equal(named.error?.code, "BadRequest");
    assert.match(named.error?.message ?? "", /query/);
    const bare = await get(`/traces/${trace}`, `Bearer ${token}`);
    assert.equal(bare.status, 403, JSON.stringify(bare));
    assert.equal((await get(`/traces/${trace}?foo=1`, `Bearer ${t.server.adminToken}`)).error?.code, "BadRequest");
  });

  it("needs a * token for /metrics", async () => {
    const { token } = await t.client.createToken({ role: "viewer", envs: ["staging"], name: "scrape" });
    const res = await fetch(`${t.server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /spans every environment/);
  });
});

describe("creating tokens", () => {
  it("shows the secret once; lists never carry secrets or hashes", async () => {
    const created = await t.client.createToken({ role: "developer", envs: ["staging", "prod"], ttl: "30d" });
    assert.match(created.token, /^pave_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.name, "developer");
    assert.deepEqual(created.envs, ["prod", "staging"]);
    assert.ok(created.expiresAt !== null && Math.abs(created.expiresAt - (Date.now() + 30 * 86_400_000)) < 60_000);
    const { tokens } = await t.client.listTokens();
    const listed = tokens.find((x) => x.id === created.id);
    assert.ok(listed);
    assert.equal(listed.state, "active");
    const text = JSON.stringify(tokens);
    assert.ok(!text.includes(created.token) && !text.includes("hash"), "no secrets, no hashes");
    assert.equal(tokens.find((x) => x.self)?.name, "admin");
  });

  it("refuses a bad role, ttl, scope or name with a precise 400", async () => {
    await refused(
      t.client.createToken({ role: "root" }),
      "BadRequest",
      /body\.role: role is one of viewer, developer, operator, admin/,
    );
    await refused(
      t.client.createToken({ role: "viewer", ttl: "5w" }),
      "BadRequest",
      /body\.ttl: ttl is a duration like 30s, 15m, 12h or 30d, at most 3650d; got "5w"/,
    );
    await refused(t.client.createToken({ role: "viewer", ttl: "3651d" }), "BadRequest", /at most 3650d/);
    await refused(t.client.createToken({ role: "viewer", envs: ["Prod!"] }), "BadRequest", /body\.envs\.0/);
    await refused(t.client.createToken({ role: "viewer", envs: [] }), "BadRequest", /at least one environment/);
  });

  it("hands on no more than the creating token holds", async () => {
    const dev = as((await t.client.createToken({ role: "developer", name: "dev" })).token);
    await refused(dev.createToken({ role: "admin" }), "Forbidden", /needs the admin role; token dev has developer/);

    const stgAdmin = as((await t.client.createToken({ role: "admin", envs: ["staging"], name: "stg-admin" })).token);
    await refused(
      stgAdmin.createToken({ role: "viewer", envs: ["prod"] }),
      "Forbidden",
      /scoped to staging and cannot create a token for prod/,
    );
    await refused(stgAdmin.createToken({ role: "viewer", envs: ["*"] }), "Forbidden", /cannot create a token for \*/);
    const inherited = await stgAdmin.createToken({ role: "viewer" });
    assert.deepEqual(inherited.envs, ["staging"], "without envs, the creator's scopes");
    // A scoped admin sees and revokes only tokens within its scopes.
    const seen = (await stgAdmin.listTokens()).tokens;
    assert.ok(seen.every((x) => x.envs.every((e) => e === "staging")));
    const bootstrap = (await t.client.listTokens()).tokens.find((x) => x.self);
    assert.ok(bootstrap);
    await refused(stgAdmin.revokeToken(bootstrap.id), "Forbidden", /scoped to \*, beyond token stg-admin's scopes/);

    const brief = as((await t.client.createToken({ role: "admin", ttl: "1h", name: "brief" })).token);
    await refused(brief.createToken({ role: "viewer" }), "Forbidden", /cannot create a token that outlives it/);
    await refused(brief.createToken({ role: "viewer", ttl: "2h" }), "Forbidden", /outlives it/);
    assert.ok(await brief.createToken({ role: "viewer", ttl: "30m" }));
  });
});

describe("the last admin token", () => {
  it("cannot be revoked until another admin token for every environment exists", async () => {
    const { tokens } = await t.client.listTokens();
    const bootstrap = tokens.find((x) => x.self);
    assert.ok(bootstrap);
    const full = (x: (typeof tokens)[number]) => x.role === "admin" && x.envs[0] === "*" && x.state === "active";
    for (const other of tokens.filter((x) => full(x) && !x.self)) await t.client.revokeToken(other.id);
    // An admin token scoped to some environments does not count: it cannot manage every token.
    assert.ok(tokens.some((x) => x.role === "admin" && x.envs[0] === "staging" && x.state === "active"));
    await refused(
      t.client.revokeToken(bootstrap.id),
      "LastAdminToken",
      /last active admin token for every environment/,
    );
    const next = await t.client.createToken({ role: "admin", name: "next-admin" });
    await t.client.revokeToken(bootstrap.id);
    await refused(t.client.listTokens(), "Unauthorized", /revoked/);
    const successor = as(next.token);
    await refused(successor.revokeToken(next.id), "LastAdminToken", /create another first/);
  });
});

function activation(id: string, env: string) {
  return {
    id,
    env,
    function: "hello",
    version: "v1",
    trigger: "invoke" as const,
    startedAt: Date.now(),
    durationMs: 1,
    billedMs: 1,
    memoryMb: 128,
    status: "success" as const,
    errorCode: null,
    errorMessage: null,
    httpStatus: null,
    cold: false,
    traceId: "0".repeat(32),
    correlationId: "c",
    logsDropped: 0,
    cpuMs: null,
    gbSeconds: 0,
    egress: [],
  };
}
