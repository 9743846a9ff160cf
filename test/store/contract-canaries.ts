// The Store contract for canaries: the row per function round-trips, a new canary replaces the old one, and every
// change is a compare-and-set on the revision — of many nodes evaluating one canary, exactly one acts.
import assert from "node:assert/strict";
import { describe } from "node:test";
import type { CanaryAnalysis, NewCanary, Store } from "../../src/store/index.ts";

type StoreTest = (title: string, body: (store: Store) => Promise<void>) => void;

const T0 = 1_700_000_000_000;
const policy = { bakeMs: 300_000, windowMs: 300_000, maxErrorRateIncrease: 0.01, maxP99Increase: 1.2, minRequests: 50 };
const start = (over: Partial<NewCanary> = {}): NewCanary => ({
  env: "prod",
  function: "checkout",
  baseline: "a1",
  canary: "b2",
  steps: [10, 50, 100],
  policy,
  startedBy: "alice",
  now: T0,
  ...over,
});
const analysis: CanaryAnalysis = {
  at: T0 + 5000,
  since: T0,
  baseline: { requests: 900, errors: 0, errorRate: 0, p99Ms: 2.5 },
  canary: { requests: 100, errors: 100, errorRate: 1, p99Ms: 3 },
  decision: "rollback",
  note: "error rate 100.0% > 0.0% + 1.0 point",
  metric: "errorRate",
  canaryValue: 1,
  baselineValue: 0,
  threshold: 0.01,
};

export function canariesContract(test: StoreTest): void {
  describe("canaries", () => {
    test("start round-trips; get and list by status", async (store) => {
      const c = await store.startCanary(start());
      assert.deepEqual(c, {
        env: "prod",
        function: "checkout",
        baseline: "a1",
        canary: "b2",
        steps: [10, 50, 100],
        step: 0,
        policy,
        status: "running",
        startedAt: T0,
        startedBy: "alice",
        stepStartedAt: T0,
        updatedAt: T0,
        revision: c.revision,
        analysis: null,
        reason: null,
      });
      assert.deepEqual(await store.getCanary("prod", "checkout"), c);
      assert.equal(await store.getCanary("prod", "other"), undefined);
      assert.equal(await store.getCanary("staging", "checkout"), undefined);
      await store.startCanary(start({ env: "staging" }));
      assert.deepEqual(
        (await store.listCanaries()).map((r) => r.env),
        ["prod", "staging"],
      );
      assert.deepEqual(await store.listCanaries("promoted"), []);
      assert.equal((await store.listCanaries("running")).length, 2);
    });

    test("an update applies only at the revision read, bumps it and keeps the rest", async (store) => {
      const c = await store.startCanary(start());
      const stepped = await store.updateCanary("prod", "checkout", c.revision, {
        step: 1,
        stepStartedAt: T0 + 1000,
        analysis,
        now: T0 + 1000,
      });
      assert.ok(stepped);
      assert.equal(stepped.step, 1);
      assert.equal(stepped.stepStartedAt, T0 + 1000);
      assert.equal(stepped.updatedAt, T0 + 1000);
      assert.equal(stepped.status, "running");
      assert.deepEqual(stepped.analysis, analysis);
      assert.ok(stepped.revision > c.revision);
      // A stale revision changes nothing.
      assert.equal(await store.updateCanary("prod", "checkout", c.revision, { status: "aborted", now: T0 }), undefined);
      assert.equal((await store.getCanary("prod", "checkout"))?.status, "running");
      const ended = await store.updateCanary("prod", "checkout", stepped.revision, {
        status: "rolled-back",
        reason: "error rate",
        now: T0 + 2000,
      });
      assert.equal(ended?.status, "rolled-back");
      assert.equal(ended?.reason, "error rate");
      assert.equal(ended?.step, 1);
      assert.equal(await store.updateCanary("prod", "nope", 1, { status: "aborted", now: T0 }), undefined);
    });

    test("of many nodes racing to act on one evaluation exactly one wins", async (store) => {
      const c = await store.startCanary(start());
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.updateCanary("prod", "checkout", c.revision, { status: "rolled-back", reason: `node ${i}`, now: T0 }),
        ),
      );
      assert.equal(results.filter((r) => r !== undefined).length, 1);
    });

    test("a new canary replaces the old row, and an evaluation of the old one loses its claim", async (store) => {
      const old = await store.startCanary(start());
      await store.updateCanary("prod", "checkout", old.revision, { status: "rolled-back", reason: "x", now: T0 });
      const read = (await store.getCanary("prod", "checkout")) as { revision: number };
      const next = await store.startCanary(start({ canary: "c3", steps: [25, 100], now: T0 + 5000 }));
      assert.equal(next.canary, "c3");
      assert.deepEqual([next.step, next.status, next.reason, next.analysis], [0, "running", null, null]);
      assert.equal(next.startedAt, T0 + 5000);
      assert.ok(next.revision > read.revision);
      assert.equal(await store.updateCanary("prod", "checkout", read.revision, { step: 1, now: T0 }), undefined);
    });

    test("removing the function removes its canary", async (store) => {
      const bundle = "/* a1 */";
      await store.deploy(
        { env: "prod", function: "checkout", id: "a1", manifest: "{}", bundle, bundleBytes: 8, createdBy: "t" },
        "live",
        T0,
      );
      await store.startCanary(start());
      await store.deleteFunction("prod", "checkout");
      assert.equal(await store.getCanary("prod", "checkout"), undefined);
    });
  });
}
