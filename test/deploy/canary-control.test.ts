// The canary analysis against a real (in-memory) store with a clock moved by hand: bakes and windows pass without
// sleeping. Waits, steps, promotes and rollbacks move live and leave audit records; of two nodes only one acts.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { v7 } from "uuid";
import { AliasControl, CanaryControl } from "../../src/deploy/index.ts";
import { createLogger } from "../../src/logger.ts";
import { AuditLog } from "../../src/ops/index.ts";
import { type Activation, openStore, type Store } from "../../src/store/index.ts";
import { FakeClock } from "../triggers/fake-clock.ts";

/** The start of a minute, so rollup minutes are easy to reason about. */
const T0 = 1_700_000_040_000;
const policy = { bakeMs: 60_000, windowMs: 60_000, maxErrorRateIncrease: 0.01, maxP99Increase: 1.2, minRequests: 10 };

let store: Store;
let clock: FakeClock;

function node(): CanaryControl {
  const aliases = new AliasControl({ store, onMoved: () => {} });
  return new CanaryControl({ store, aliases, audit: new AuditLog(store), logger: createLogger("silent"), clock });
}

/** `count` activations of `version` at `at`, the first `errors` of them failed. */
async function served(version: string, at: number, count: number, errors = 0): Promise<void> {
  const acts: Activation[] = Array.from({ length: count }, (_, i) => ({
    id: v7({ msecs: at + i }),
    env: "prod",
    function: "fn",
    version,
    trigger: "http",
    startedAt: at + i,
    durationMs: 1,
    billedMs: 1,
    memoryMb: 128,
    status: i < errors ? "error" : "success",
    errorCode: i < errors ? "FunctionError" : null,
    errorMessage: null,
    httpStatus: i < errors ? 500 : 200,
    cold: false,
    traceId: "",
    correlationId: "",
    logsDropped: 0,
    cpuMs: null,
    gbSeconds: 0,
    egress: [],
  }));
  await store.insertActivations(acts, []);
}

const live = async () => (await store.readAlias("prod", "fn", "live"))?.split;
const canary = async () =>
  (await store.getCanary("prod", "fn")) as NonNullable<Awaited<ReturnType<Store["getCanary"]>>>;
const decisions = async () =>
  (await store.listAudit({ action: "canary.step", order: "asc", limit: 100 })).map((r) => [
    r.actor.name,
    r.details?.decision,
  ]);

beforeEach(async () => {
  store = await openStore(":memory:");
  clock = new FakeClock(T0);
  const version = (id: string) => ({
    env: "prod",
    function: "fn",
    id,
    manifest: "{}",
    bundle: `/* ${id} */`,
    bundleBytes: 8,
    createdBy: "t",
  });
  await store.deploy(version("a1"), "live", T0);
  await store.deploy(version("b2"), "live", T0, {
    reason: "canary",
    target: () => ({
      split: [
        { version: "a1", weight: 90 },
        { version: "b2", weight: 10 },
      ],
      shadow: null,
    }),
  });
  await store.startCanary({
    env: "prod",
    function: "fn",
    baseline: "a1",
    canary: "b2",
    steps: [10, 50, 100],
    policy,
    startedBy: "alice",
    now: T0,
  });
});
afterEach(() => store.close());

describe("canary control", () => {
  it("waits while baking, steps after a healthy bake, then promotes", async () => {
    const control = node();
    await served("a1", T0 + 1000, 90);
    await served("b2", T0 + 1000, 10);
    clock.set(T0 + 10_000);
    const baking = await control.evaluate(await canary());
    assert.equal(baking?.decision, "wait");
    assert.match(baking?.note ?? "", /baking at 10%: 50s left/);
    assert.deepEqual(await decisions(), [], "a wait moves nothing and records no decision");

    clock.set(T0 + 61_000);
    assert.equal((await control.evaluate(await canary()))?.decision, "step");
    assert.deepEqual(await live(), [
      { version: "a1", weight: 50 },
      { version: "b2", weight: 50 },
    ]);
    assert.deepEqual([(await canary()).step, (await canary()).stepStartedAt], [1, T0 + 61_000]);

    await served("a1", T0 + 62_000, 50);
    await served("b2", T0 + 62_000, 50);
    clock.set(T0 + 122_000);
    assert.equal((await control.evaluate(await canary()))?.decision, "promote");
    assert.deepEqual(await live(), [{ version: "b2", weight: 100 }]);
    assert.equal((await canary()).status, "promoted");
    assert.deepEqual(await decisions(), [
      ["system", "step"],
      ["system", "promote"],
    ]);
    const reasons = (await store.listAliasHistory("prod", "fn", "live", 10)).map((h) => [h.reason, h.by]);
    assert.deepEqual(reasons.slice(0, 2), [
      ["canary-promote", "system"],
      ["canary-step", "system"],
    ]);
  });

  it("rolls a failing canary back on its timer, recording the metric, values and window", async () => {
    const control = node();
    await served("a1", T0 + 1000, 90);
    await served("b2", T0 + 1000, 10, 10);
    control.start();
    clock.advance(5000);
    await control.stop();
    const c = await canary();
    assert.equal(c.status, "rolled-back");
    assert.match(c.reason ?? "", /error rate 100\.0% \(10 of 10\) > baseline 0\.0% \+ 1\.0%/);
    assert.deepEqual(await live(), [{ version: "a1", weight: 100 }]);
    const [record] = await store.listAudit({ action: "canary.step", limit: 10 });
    assert.equal(record?.actor.name, "system");
    assert.deepEqual(
      [
        record?.details?.decision,
        record?.details?.metric,
        record?.details?.canaryValue,
        record?.details?.baselineValue,
      ],
      ["rollback", "errorRate", 1, 0],
    );
    assert.deepEqual(record?.details?.window, { since: T0, until: T0 + 5000, windowMs: 60_000 });
    const [last] = await store.listAliasHistory("prod", "fn", "live", 1);
    assert.match(last?.reason ?? "", /^canary-rollback: error rate 100\.0%/);
  });

  it("of two nodes evaluating the same canary, exactly one acts", async () => {
    await served("b2", T0 + 1000, 10, 10);
    clock.set(T0 + 5000);
    const read = await canary();
    const results = await Promise.all([node().evaluate(read), node().evaluate(read)]);
    assert.equal(results.filter((r) => r !== null).length, 1);
    assert.deepEqual(await decisions(), [["system", "rollback"]]);
  });

  it("stops analysing a canary whose live was moved by hand, and says why", async () => {
    await new AliasControl({ store, onMoved: () => {} }).rollback("prod", "fn", undefined, "bob");
    assert.equal(await node().evaluate(await canary()), null);
    const c = await canary();
    assert.equal(c.status, "aborted");
    assert.match(c.reason ?? "", /moved by hand/);
    assert.deepEqual(await decisions(), [["system", "aborted"]]);
    assert.deepEqual(await live(), [{ version: "a1", weight: 100 }]);
  });

  it("gives another node's claimed step time to move live before calling it a move by hand", async () => {
    const read = await canary();
    // Another node claimed the step to 50% (the row changed after live did) but has not moved live yet.
    await store.updateCanary("prod", "fn", read.revision, { step: 1, stepStartedAt: T0 + 1000, now: T0 + 1000 });
    clock.set(T0 + 2000);
    assert.equal(await node().evaluate(await canary()), null);
    assert.equal((await canary()).status, "running");
    // A move that never comes: the analysis stops after a while.
    clock.set(T0 + 60_000);
    await node().evaluate(await canary());
    assert.equal((await canary()).status, "aborted");
  });

  it("an operator's abort and promote go through the same claim; a second finds none running", async () => {
    const out = await node().finish("prod", "fn", "promote", "carol");
    assert.equal(out.canary.status, "promoted");
    assert.match(out.canary.reason ?? "", /promoted by carol/);
    assert.deepEqual(await live(), [{ version: "b2", weight: 100 }]);
    await assert.rejects(node().finish("prod", "fn", "abort", "carol"), { code: "CanaryNotFound" });
  });
});
