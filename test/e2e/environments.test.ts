// Environments against a real server (real isolates, real SQLite): create, copy --from (versions, live alias,
// schedules and topics; never kv data or secrets), serve in the copy, remove, expire by TTL and by a function's
// `expires:` with the server's clock moved on, `pave ls --stale`, token scopes, and every bad input refused.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { v7 } from "uuid";
import { ApiError, PaveClient } from "../../src/client/index.ts";
import type { Activation } from "../../src/store/index.ts";
import { deploySource, removeFunctionDirs, startTestServer, type TestServer } from "./helpers.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let t: TestServer;
/** How far the server's housekeeping clock is ahead of real time. */
let skew = 0;
before(async () => {
  // Housekeeping only when the test asks (server.housekeep()), at the clock the test sets.
  t = await startTestServer({ kvPurgeIntervalMs: 3_600_000, now: () => Date.now() + skew });
});
after(async () => {
  await t.close();
  await removeFunctionDirs();
});

async function refused(p: Promise<unknown>, status: number, code: string, message?: RegExp): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.status, status, err.message);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

/** A web function that answers its environment's view of its bindings. */
const SOURCE = `export default {
  async fetch(req, env) {
    const kept = await env.CARTS.get("k");
    return Response.json({ kept, key: env.API_KEY ?? null, v: 1 });
  },
};`;
const BINDINGS = "\n  kv:\n    CARTS: { namespace: carts }\n  secrets: [API_KEY]";

async function invokeJson(name: string, env: string): Promise<{ kept: string | null; key: string | null }> {
  const out = await t.client.invoke(name, {}, env);
  return JSON.parse((out.result as { body: string }).body);
}

async function auditOf(action: string, env: string) {
  return (await t.client.listAudit({ action, env })).records;
}

describe("environments", () => {
  it("refuses a deploy into an environment that was never created, naming how to create it", async () => {
    const err = await refused(
      deploySource(t.client, "ghost", SOURCE, { bindings: BINDINGS }, "foo"),
      404,
      "EnvironmentNotFound",
    );
    assert.match(err.message, /pave env create foo/);
    assert.deepEqual((await t.client.listFunctions("foo")).functions, []);
    assert.ok(!(await t.client.listEnvironments()).environments.some((e) => e.name === "foo"));
  });

  it("creates an empty environment, then refuses it twice, prod, bad names, a missing source and bad TTLs", async () => {
    const made = await t.client.createEnvironment({ name: "staging" });
    assert.equal(made.environment.name, "staging");
    assert.equal(made.environment.createdBy, "admin");
    assert.deepEqual(made.copied, { functions: 0, versions: 0, aliases: 0, schedules: 0, topics: 0 });
    await refused(t.client.createEnvironment({ name: "staging" }), 409, "EnvironmentExists");
    await refused(t.client.createEnvironment({ name: "prod" }), 409, "EnvironmentExists");
    for (const name of ["Staging", "-x", "a_b", "9lives", "x".repeat(64), "*"]) {
      await refused(t.client.createEnvironment({ name }), 400, "BadRequest", /an environment name/);
    }
    await refused(t.client.createEnvironment({ name: "pr-0", from: "nope" }), 404, "EnvironmentNotFound", /nope/);
    for (const ttl of ["3 days", "0s", "10s", "-1h", "99999d", ""]) {
      await refused(t.client.createEnvironment({ name: "pr-0", ttl }), 400, "BadRequest", /ttl/);
    }
    assert.ok(!(await t.client.listEnvironments()).environments.some((e) => e.name === "pr-0"));
    // Newest first: the refused second create, then the first.
    const records = await auditOf("env.create", "staging");
    assert.deepEqual(
      records.map((r) => [r.outcome, r.target]),
      [
        ["failed", "staging"],
        ["ok", "staging"],
      ],
    );
  });

  it("copies function versions, the live alias, schedules and topics --from; never kv data or secrets", async () => {
    await deploySource(t.client, "cart", SOURCE, { bindings: BINDINGS });
    await t.client.setSecret("API_KEY", "prod-secret-value");
    await t.client.putKvValue("carts", "k", "prod-data");
    await t.client.createTopic("orders");
    assert.deepEqual(await invokeJson("cart", "prod"), { kept: "prod-data", key: "prod-secret-value", v: 1 });

    const out = await t.client.createEnvironment({ name: "pr-1", from: "prod", ttl: "72h" });
    assert.equal(out.environment.from, "prod");
    assert.ok(
      out.environment.expiresAt !== null && Math.abs(out.environment.expiresAt - (Date.now() + 72 * HOUR)) < 60_000,
    );
    assert.equal(out.copied.functions, 1);
    assert.equal(out.copied.topics, 1);
    assert.deepEqual(out.missingSecrets, [{ name: "API_KEY", functions: ["cart"] }]);

    const [src, dst] = await Promise.all([
      t.client.listVersions("cart", "prod"),
      t.client.listVersions("cart", "pr-1"),
    ]);
    assert.deepEqual(
      dst.versions.map((v) => [v.id, v.seq, v.live, v.bundleBytes]),
      src.versions.map((v) => [v.id, v.seq, v.live, v.bundleBytes]),
    );
    assert.deepEqual(
      (await t.client.listTopics("pr-1")).topics.map((x) => x.name),
      ["orders"],
    );
    assert.deepEqual((await t.client.listSecrets("pr-1")).secrets, []);
    await refused(t.client.getKvValue("carts", "k", "pr-1"), 404, "KeyNotFound");
    // The copy serves in its own environment, with its own (empty) data and no secret until one is set.
    assert.deepEqual(await invokeJson("cart", "pr-1"), { kept: null, key: null, v: 1 });
    await t.client.setSecret("API_KEY", "pr-secret-value", "pr-1");
    assert.deepEqual(await invokeJson("cart", "pr-1"), { kept: null, key: "pr-secret-value", v: 1 });
    assert.deepEqual(await invokeJson("cart", "prod"), { kept: "prod-data", key: "prod-secret-value", v: 1 });

    const listed = (await t.client.listEnvironments()).environments.find((e) => e.name === "pr-1");
    assert.equal(listed?.contents.functions, 1);
    assert.ok(listed?.lastInvocationAt === null || typeof listed?.lastInvocationAt === "number");
    assert.equal(typeof listed?.costMonthToDate, "number");
  });

  it("removes an environment: never prod, one that holds things only with force, then its functions are gone", async () => {
    await refused(t.client.deleteEnvironment("prod", { force: true }), 409, "EnvironmentProtected");
    await refused(t.client.deleteEnvironment("nope"), 404, "EnvironmentNotFound");
    const err = await refused(t.client.deleteEnvironment("pr-1"), 409, "EnvironmentNotEmpty", /--force/);
    assert.equal((err.details as { contents: { functions: number } }).contents.functions, 1);
    const out = await t.client.deleteEnvironment("pr-1", { force: true });
    assert.deepEqual(out.removed, { functions: 1, kvEntries: 0, secrets: 1, topics: 1, schedules: 0 });
    await refused(t.client.invoke("cart", {}, "pr-1"), 404, "FunctionNotFound");
    assert.deepEqual((await t.client.listSecrets("pr-1")).secrets, []);
    await refused(deploySource(t.client, "cart", SOURCE, { bindings: BINDINGS }, "pr-1"), 404, "EnvironmentNotFound");
    const [deleted] = await auditOf("env.delete", "pr-1");
    assert.ok(deleted);
    assert.equal(deleted.outcome, "ok");
    assert.equal((deleted.before as { from: string }).from, "prod");
    assert.equal((await t.client.deleteEnvironment("staging")).removed.functions, 0, "an empty one needs no force");
  });

  it("tears down an environment when its TTL runs out, as system, with its instances", async () => {
    await t.client.createEnvironment({ name: "pr-2", ttl: "1h" });
    await deploySource(t.client, "hello", "export default { fetch: () => new Response('hi') };", {}, "pr-2");
    assert.equal(((await t.client.invoke("hello", {}, "pr-2")).result as { body: string }).body, "hi");
    await t.server.housekeep();
    assert.ok(
      (await t.client.listEnvironments()).environments.some((e) => e.name === "pr-2"),
      "not yet due",
    );
    skew = 2 * HOUR;
    try {
      await t.server.housekeep();
    } finally {
      skew = 0;
    }
    assert.ok(!(await t.client.listEnvironments()).environments.some((e) => e.name === "pr-2"));
    await refused(t.client.invoke("hello", {}, "pr-2"), 404, "FunctionNotFound");
    const [expired] = await auditOf("env.expire", "pr-2");
    assert.ok(expired);
    assert.equal(expired.actor.name, "system");
    assert.equal((expired.before as { contents: { functions: number } }).contents.functions, 1);
  });

  it("tears down a function past its manifest's expires:, and refuses a malformed one naming the key", async () => {
    await deploySource(t.client, "brief", "export default { fetch: () => new Response('x') };", { expires: "2h" });
    await deploySource(t.client, "dated", "export default { fetch: () => new Response('x') };", {
      expires: new Date(Date.now() + 10 * DAY).toISOString().slice(0, 10),
    });
    skew = HOUR;
    await t.server.housekeep();
    assert.ok(await t.client.getFunction("brief"), "not yet due");
    skew = 3 * HOUR;
    await t.server.housekeep();
    await refused(t.client.getFunction("brief"), 404, "FunctionNotFound");
    assert.ok(await t.client.getFunction("dated"));
    skew = 11 * DAY;
    await t.server.housekeep();
    skew = 0;
    await refused(t.client.getFunction("dated"), 404, "FunctionNotFound");
    const [expired] = await auditOf("function.expire", "prod");
    assert.equal(expired?.actor.name, "system");
    assert.ok((await t.client.listAudit({ action: "function.expire", function: "brief" })).records.length === 1);

    const bundle = "export default { fetch: () => new Response('x') };";
    for (const expires of ["soon", "2001-01-01", "0s", 5]) {
      const err = await refused(
        t.client.deployBundle({ name: "bad", entry: "src/index.ts", expires }, bundle),
        400,
        "InvalidManifest",
      );
      assert.match(err.message, /manifest: expires: expected/);
    }
  });

  it("lists stale functions: deployed before the window, not invoked in it, with last invocation and cost", async () => {
    const store = t.server.store;
    await t.client.createEnvironment({ name: "old" });
    const bundle = "export default { fetch: () => new Response('x') };";
    const longAgo = Date.now() - 60 * DAY;
    for (const fn of ["idle", "quiet", "busy"]) {
      const manifest = JSON.stringify({ name: fn, memory: 256, minInstances: fn === "idle" ? 1 : 0, bindings: {} });
      await store.deploy(
        { env: "old", function: fn, id: `${fn}1`, manifest, bundle, bundleBytes: bundle.length, createdBy: "t" },
        "live",
        longAgo,
      );
    }
    const act = (fn: string, at: number): Activation => ({
      id: v7({ msecs: at }),
      env: "old",
      function: fn,
      version: `${fn}1`,
      trigger: "invoke",
      startedAt: at,
      durationMs: 5,
      billedMs: 5,
      memoryMb: 256,
      status: "success",
      errorCode: null,
      errorMessage: null,
      httpStatus: null,
      cold: false,
      traceId: "t",
      correlationId: "c",
      logsDropped: 0,
      cpuMs: null,
      gbSeconds: 0.00125,
      egress: [],
    });
    const quietAt = Date.now() - 40 * DAY;
    await store.insertActivations([act("quiet", quietAt), act("busy", Date.now() - DAY)], []);
    // Deployed just now and never invoked: too new to be a retire candidate.
    await deploySource(t.client, "fresh", bundle, {}, "old");

    const out = await t.client.listStaleFunctions("30d", "old");
    assert.ok(Math.abs(out.since - (Date.now() - 30 * DAY)) < 60_000);
    assert.deepEqual(
      out.functions.map((f) => [f.name, f.lastInvokedAt, f.invocations, f.cost, f.minInstances, f.deployedAt]),
      [
        ["idle", null, 0, 0, 1, longAgo],
        ["quiet", quietAt - (quietAt % 60_000), 0, 0, 0, longAgo],
      ],
    );
    assert.deepEqual(
      (await t.client.listStaleFunctions("50d", "old")).functions.map((f) => f.name),
      ["idle"],
      "quiet was invoked 40 days ago",
    );
    for (const stale of ["30 days", "10s", "x"]) {
      await refused(t.client.listStaleFunctions(stale, "old"), 400, "BadRequest", /stale/);
    }
  });

  it("keeps tokens within their scopes: the new environment and the copy's source", async () => {
    const scoped = (await t.client.createToken({ role: "operator", envs: ["pr-3"], name: "pr3-op" })).token;
    const as = new PaveClient({ url: t.server.url, token: scoped });
    await refused(as.createEnvironment({ name: "pr-4" }), 403, "Forbidden", /environment pr-4 is outside/);
    await refused(
      as.createEnvironment({ name: "pr-3", from: "prod" }),
      403,
      "Forbidden",
      /environment prod is outside/,
    );
    await as.createEnvironment({ name: "pr-3" });
    assert.deepEqual(
      (await as.listEnvironments()).environments.map((e) => e.name),
      ["pr-3"],
    );
    await refused(as.deleteEnvironment("old", { force: true }), 403, "Forbidden");
    const dev = (await t.client.createToken({ role: "developer", name: "dev" })).token;
    await refused(
      new PaveClient({ url: t.server.url, token: dev }).createEnvironment({ name: "pr-5" }),
      403,
      "Forbidden",
      /operator/,
    );
    await as.deleteEnvironment("pr-3");
  });
});
