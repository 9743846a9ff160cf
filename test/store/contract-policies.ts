// The Store contract for policies as code: policy versions per environment (the latest in force), pending
// deployments decided exactly once under concurrency, expiry, and budget throttles.
// Part of storeContract; `test` gives each case a fresh store.
import assert from "node:assert/strict";
import { describe } from "node:test";
import type { PendingDeployment, Store } from "../../src/store/index.ts";

const T0 = 1_700_000_000_000;

type StoreTest = (title: string, body: (store: Store) => Promise<void>) => void;

const pending = (id: string, over: Partial<PendingDeployment> = {}): PendingDeployment => ({
  id,
  env: "prod",
  function: "big",
  requestedBy: { id: "tok_dev", name: "dev", role: "developer" },
  manifest: { name: "big", memory: 1024 },
  bundle: "/* big */",
  options: { canary: 10 },
  rules: [{ name: "memory-large", outcome: "require-approval: operator", why: "memory 1024 MB is above 512" }],
  requiredRole: "operator",
  createdAt: T0,
  status: "pending",
  decidedBy: null,
  decidedAt: null,
  reason: null,
  ...over,
});

export function policiesContract(test: StoreTest): void {
  describe("policies", () => {
    test("versions count per environment and the latest is in force", async (store) => {
      assert.equal(await store.getPolicy("prod"), undefined);
      const v1 = await store.putPolicy("prod", "rules: []\n", "admin", T0);
      const v2 = await store.putPolicy("prod", "# two\nrules: []\n", "ops", T0 + 1);
      const s1 = await store.putPolicy("staging", "rules: []\n", "admin", T0 + 2);
      assert.deepEqual([v1.version, v2.version, s1.version], [1, 2, 1]);
      assert.deepEqual(await store.getPolicy("prod"), {
        env: "prod",
        version: 2,
        yaml: "# two\nrules: []\n",
        createdBy: "ops",
        createdAt: T0 + 1,
      });
      assert.equal((await store.getPolicy("staging"))?.version, 1);
      assert.deepEqual(await store.policyEnvs(), ["prod", "staging"]);
    });

    test("a pending deployment round-trips and lists newest first without its bundle", async (store) => {
      await store.insertPending(pending("p1"));
      await store.insertPending(pending("p2", { createdAt: T0 + 5, env: "staging" }));
      await store.insertPending(pending("p3", { createdAt: T0 + 9 }));
      assert.deepEqual(await store.getPending("p1"), pending("p1"));
      const listed = await store.listPending({ env: "prod", limit: 10 });
      assert.deepEqual(
        listed.map((p) => p.id),
        ["p3", "p1"],
      );
      assert.ok(!("bundle" in (listed[0] as object)));
      assert.equal(await store.getPending("nope"), undefined);
    });

    test("of concurrent decisions exactly one wins; a decided one stays decided", async (store) => {
      await store.insertPending(pending("p1"));
      const by = (n: number) => ({ id: `op${n}`, name: `op${n}`, role: "operator" as const });
      const outcomes = await Promise.all(
        [1, 2, 3, 4].map((n) =>
          store.decidePending("p1", { status: n % 2 ? "approved" : "rejected", by: by(n), at: T0 + n, reason: null }),
        ),
      );
      assert.equal(outcomes.filter(Boolean).length, 1);
      const winner = outcomes.indexOf(true) + 1;
      const stored = await store.getPending("p1");
      assert.deepEqual(stored?.decidedBy, by(winner));
      assert.equal(stored?.status, winner % 2 ? "approved" : "rejected");
      assert.equal(
        await store.decidePending("missing", { status: "approved", by: by(1), at: T0, reason: null }),
        false,
      );
      assert.deepEqual(
        (await store.listPending({ env: "prod", status: "pending", limit: 10 })).map((p) => p.id),
        [],
      );
    });

    test("an approved deployment that failed is marked failed; a rejected one is never rewritten", async (store) => {
      await store.insertPending(pending("a"));
      await store.insertPending(pending("r"));
      const op = { id: "op", name: "op", role: "operator" as const };
      await store.decidePending("a", { status: "approved", by: op, at: T0, reason: null });
      await store.decidePending("r", { status: "rejected", by: op, at: T0, reason: "too big" });
      await store.failApproved("a", "BuildError: boom");
      await store.failApproved("r", "ignored");
      assert.deepEqual(
        [(await store.getPending("a"))?.status, (await store.getPending("a"))?.reason],
        ["failed", "BuildError: boom"],
      );
      assert.deepEqual(
        [(await store.getPending("r"))?.status, (await store.getPending("r"))?.reason],
        ["rejected", "too big"],
      );
    });

    test("expiry takes only what is still pending and older than the cut", async (store) => {
      await store.insertPending(pending("old"));
      await store.insertPending(pending("new", { createdAt: T0 + 10_000 }));
      await store.insertPending(pending("done"));
      await store.decidePending("done", { status: "rejected", by: null, at: T0, reason: "no" });
      const expired = await store.expirePending(T0 + 5000, T0 + 20_000);
      assert.deepEqual(
        expired.map((p) => [p.id, p.status, p.decidedAt]),
        [["old", "expired", T0 + 20_000]],
      );
      assert.deepEqual(await store.expirePending(T0 + 5000, T0 + 30_000), []);
      assert.equal((await store.getPending("new"))?.status, "pending");
    });

    test("budget throttles are put, refreshed keeping since, listed and deleted", async (store) => {
      const t = { env: "prod", function: "spender", rule: "budget", budgetUsd: 1, costUsd: 1.5, since: T0 };
      assert.equal(await store.putBudgetThrottle(t), true, "this call created it");
      assert.equal(await store.putBudgetThrottle({ ...t, costUsd: 2.5, since: T0 + 60_000 }), false);
      assert.deepEqual(await store.listBudgetThrottles(), [{ ...t, costUsd: 2.5 }]);
      assert.equal(await store.deleteBudgetThrottle("prod", "spender"), true);
      assert.equal(await store.deleteBudgetThrottle("prod", "spender"), false);
      assert.deepEqual(await store.listBudgetThrottles(), []);
    });

    test("of nodes putting one budget throttle at once, exactly one created it", async (store) => {
      const t = { env: "prod", function: "spender", rule: "budget", budgetUsd: 1, costUsd: 1.5, since: T0 };
      const created = await Promise.all(Array.from({ length: 5 }, () => store.putBudgetThrottle(t)));
      assert.equal(created.filter(Boolean).length, 1);
      assert.equal((await store.listBudgetThrottles()).length, 1);
    });
  });
}
