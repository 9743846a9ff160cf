// Two real pave nodes on one PostgreSQL database: what is changed through node A takes effect on node B within a
// second — deploys, rollbacks and promotes, pauses, secrets, budget policies, token revocations, removals. Each test
// waits for B to apply the change and then asks B once: the first answer after that must already be the new one.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ApiError, PaveClient } from "../../src/client/index.ts";
import type { Change } from "../../src/store/index.ts";
import { pgSkip } from "../store/pg-cluster.ts";
import { deploySource, eventually, removeFunctionDirs, type TestServer } from "./helpers.ts";
import { BOUND_MS, HeardChanges, type PgNodes, SLACK_MS, startPgNodes, version } from "./pg-nodes.ts";

describe("changes reach every node within a second", { skip: pgSkip }, () => {
  let nodes: PgNodes;
  let a: TestServer;
  let b: TestServer;
  let heard: HeardChanges;
  /** ms from A's answer until B applied the change, and until B answered with its effect. */
  const figures: Record<string, { applied: number; served: number }> = {};

  before(async () => {
    nodes = await startPgNodes(2);
    [a, b] = nodes.nodes as [TestServer, TestServer];
    heard = new HeardChanges(b);
  });

  after(async () => {
    // The figures the report quotes: `node --test` prints diagnostics with the results.
    console.log(`propagation A → B (ms): ${JSON.stringify(figures)}`);
    await nodes?.close();
    await removeFunctionDirs();
  });

  /** Makes a change through A, waits until B applied it, then checks its effect on B once, all within the bound. */
  async function propagates(
    name: string,
    match: (c: Change) => boolean,
    change: () => Promise<unknown>,
    effect: () => Promise<void>,
  ): Promise<void> {
    heard.clear();
    const applied = heard.when(match);
    await change();
    const answered = Date.now();
    const appliedAt = await applied;
    await effect();
    const served = Date.now() - answered;
    figures[name] = { applied: Math.max(0, appliedAt - answered), served };
    assert.ok(served < BOUND_MS + SLACK_MS, `${name}: B showed it ${served} ms after A's answer`);
  }

  const fetchB = (path: string) => fetch(`${b.server.url}${path}`);
  const textB = async (path: string) => {
    const res = await fetchB(path);
    return `${res.status} ${await res.text()}`;
  };
  const alias = (fn: string) => (c: Change) => c.kind === "alias" && c.function === fn;

  it("a deploy through A is served by B", async () => {
    assert.equal(a.server.store.kind, "postgres");
    assert.equal(b.server.cluster.changes.mode, "listening");
    // Wait for B to apply v1's change too: arriving late, during the v2 deploy, it would pass for v2's.
    heard.clear();
    const v1 = heard.when(alias("hello"));
    await deploySource(a.client, "hello", version("v1"));
    await v1;
    // B now holds v1's route and a warm instance: what it must drop.
    await eventually(async () => assert.equal(await textB("/fn/hello/"), "200 v1"));
    await propagates(
      "deploy",
      alias("hello"),
      () => deploySource(a.client, "hello", version("v2")),
      async () => assert.equal(await textB("/fn/hello/"), "200 v2"),
    );
  });

  it("a rollback and a promote through A are served by B", async () => {
    await propagates(
      "rollback",
      alias("hello"),
      () => a.client.rollback("hello"),
      async () => assert.equal(await textB("/fn/hello/"), "200 v1"),
    );
    await a.client.createEnvironment({ name: "staging" });
    await deploySource(a.client, "hello", version("v3"), {}, "staging");
    await propagates(
      "promote",
      alias("hello"),
      () => a.client.promote("hello", { from: "staging", to: "prod" }),
      async () => assert.equal(await textB("/fn/hello/"), "200 v3"),
    );
  });

  it("a pause and a resume through A stop and restart the function on B", async () => {
    const pause = (c: Change) => c.kind === "pause" && c.function === "hello";
    await propagates(
      "pause",
      pause,
      () => a.client.setPaused("hello", true),
      async () => assert.match(await textB("/fn/hello/"), /^503 .*FunctionPaused/),
    );
    await propagates(
      "resume",
      pause,
      () => a.client.setPaused("hello", false),
      async () => assert.equal(await textB("/fn/hello/"), "200 v3"),
    );
  });

  it("a secret set through A reaches B's instances", async () => {
    await a.client.setSecret("KEY", "first");
    await deploySource(a.client, "keyed", "export default { fetch: (r, env) => new Response(env.KEY) };", {
      bindings: "\n  secrets: [KEY]",
    });
    await eventually(async () => assert.equal(await textB("/fn/keyed/"), "200 first"));
    await propagates(
      "secret",
      (c) => c.kind === "secret" && c.secret === "KEY",
      () => a.client.setSecret("KEY", "second"),
      async () => assert.equal(await textB("/fn/keyed/"), "200 second"),
    );
  });

  it("a token revoked through A is refused by B", async () => {
    const created = await a.client.createToken({ role: "developer", name: "leaver" });
    const asLeaver = new PaveClient({ url: b.server.url, token: created.token });
    // B has looked the token up and caches it for 10 s: the change must evict it.
    await asLeaver.listFunctions();
    await propagates(
      "token",
      (c) => c.kind === "token",
      () => a.client.revokeToken(created.id),
      async () => {
        const err = await asLeaver.listFunctions().then(
          () => assert.fail("the revoked token still works on B"),
          (e: unknown) => e,
        );
        assert.ok(err instanceof ApiError);
        assert.equal(err.code, "Unauthorized");
      },
    );
  });

  it("a budget policy set through A throttles the function on B", async () => {
    await a.client.createEnvironment({ name: "metered" });
    await deploySource(a.client, "spender", version("spent"), {}, "metered");
    for (let i = 0; i < 3; i++) await b.client.invoke("spender", {}, "metered");
    await eventually(async () => {
      const usage = await b.server.store.usage({ env: "metered", since: 0, until: Date.now() + 1, by: "function" });
      assert.equal(usage[0]?.invocations, 3);
    });
    const budget = (usd: number) =>
      `rules:\n  - name: tiny-budget\n    when: { budget: { monthlyUsd: ${usd} } }\n    then: throttle\n`;
    const refused = async () => {
      const err = await b.client.invoke("spender", {}, "metered").then(
        () => assert.fail("B still runs the throttled function"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, "BudgetExceeded");
    };
    await propagates(
      "policy",
      (c) => c.kind === "policy" && c.env === "metered",
      () => a.client.setPolicy(budget(0.0000001), "metered"),
      refused,
    );
    await propagates(
      "policy-raised",
      (c) => c.kind === "policy" && c.env === "metered",
      () => a.client.setPolicy(budget(100), "metered"),
      async () => void (await b.client.invoke("spender", {}, "metered")),
    );
  });

  it("a policy that denies set through A refuses deploys through B", async () => {
    const deny = "rules:\n  - name: no-big\n    when: { memory: { above: 256 } }\n    then: deny\n";
    await a.client.setPolicy(deny, "staging");
    const err = await deploySource(b.client, "big", version("big"), { memory: 512 }, "staging").then(
      () => assert.fail("B deployed what the policy denies"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, "PolicyDenied");
  });

  it("a function removed through A is gone on B", async () => {
    await propagates(
      "remove",
      (c) => c.kind === "function-removed" && c.function === "hello",
      () => a.client.deleteFunction("hello"),
      async () => assert.match(await textB("/fn/hello/"), /^404 .*FunctionNotFound/),
    );
  });
});
