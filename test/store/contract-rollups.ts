// The Store contract for per-minute rollups: insertActivations adds each batch to its minutes in the same
// transaction, rollups() sums them per step, pruneRollups() forgets old minutes. Part of storeContract.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { v7 } from "uuid";
import { type Activation, DURATION_BOUNDS_MS, type Span, type Store } from "../../src/store/index.ts";

const ENV = "prod";
/** A minute boundary (1_700_000_040_000 = 28333334 minutes), so offsets below are easy to read. */
const M0 = 1_700_000_040_000;
const MIN = 60_000;

type StoreTest = (title: string, body: (store: Store) => Promise<void>) => void;

let seq = 0;
/** A successful http activation of `fn` started at `startedAt`, with `over` on top. */
export function activationAt(startedAt: number, over: Partial<Activation> = {}): Activation {
  return {
    id: v7({ msecs: startedAt, seq: seq++ }),
    env: ENV,
    function: "fn",
    version: "v1",
    trigger: "http",
    startedAt,
    durationMs: 4,
    billedMs: 4,
    memoryMb: 128,
    status: "success",
    errorCode: null,
    errorMessage: null,
    httpStatus: 200,
    cold: false,
    traceId: "t",
    correlationId: "c",
    logsDropped: 0,
    cpuMs: null,
    gbSeconds: 0.0005,
    egress: [],
    ...over,
  };
}

/** The bucket a duration lands in, by the documented rule: the first bound at or above it. */
function bucket(ms: number): number {
  const i = DURATION_BOUNDS_MS.findIndex((b) => ms <= b);
  return i === -1 ? DURATION_BOUNDS_MS.length : i;
}

export function rollupsContract(test: StoreTest): void {
  describe("rollups", () => {
    test("two batches into the same minute add up, field by field", async (store) => {
      const first = [
        activationAt(M0 + 1, { durationMs: 0.05, cold: true }),
        activationAt(M0 + 2, { durationMs: 4, status: "error", errorCode: "FunctionError" }),
        activationAt(M0 + 3, { durationMs: 4 }),
      ];
      const second = [
        activationAt(M0 + 59_999, { durationMs: 120_000, billedMs: 120_000, gbSeconds: 15 }),
        activationAt(M0 + 30_000, {
          durationMs: 0,
          status: "error",
          errorCode: "Throttled",
          billedMs: 0,
          gbSeconds: 0,
        }),
        activationAt(M0 + 30_001, {
          durationMs: 0,
          status: "error",
          errorCode: "CapacityExceeded",
          billedMs: 0,
          gbSeconds: 0,
        }),
      ];
      await store.insertActivations(first, []);
      await store.insertActivations(second, []);
      const rows = await store.rollups({ env: ENV, since: M0, until: M0 + MIN, step: MIN });
      assert.equal(rows.length, 1);
      const r = rows[0]!;
      const all = [...first, ...second];
      assert.equal(r.function, "fn");
      assert.equal(r.start, M0);
      assert.equal(r.count, 6);
      assert.equal(r.errors, 3);
      assert.equal(r.coldStarts, 1);
      assert.equal(r.throttles, 2);
      assert.ok(Math.abs(r.durationMs - all.reduce((t, a) => t + a.durationMs, 0)) < 1e-9);
      assert.equal(
        r.billedMs,
        all.reduce((t, a) => t + a.billedMs, 0),
      );
      assert.ok(Math.abs(r.gbSeconds - all.reduce((t, a) => t + a.gbSeconds, 0)) < 1e-9);
      const expected = new Array(DURATION_BOUNDS_MS.length + 1).fill(0);
      // The two refused ones never ran: counted above, but no duration of theirs is in the histogram.
      for (const a of all) if (a.billedMs > 0) expected[bucket(a.durationMs)]++;
      assert.deepEqual(r.histogram, expected);
      assert.equal(r.histogram[0], 1, "only the 0.05 ms one is in the first bucket");
      assert.equal(r.histogram.at(-1), 1, "beyond the last bound lands in the overflow bucket");
    });

    test("versions and minutes are kept apart; a query merges versions unless it names one", async (store) => {
      await store.insertActivations(
        [
          activationAt(M0, { version: "v1" }),
          activationAt(M0 + 10, { version: "v2" }),
          activationAt(M0 + 20, { version: "v2" }),
          activationAt(M0 + MIN, { version: "v1" }),
          activationAt(M0 + 3 * MIN + 5, { version: "v1", function: "other" }),
          activationAt(M0 + 5, { env: "staging" }),
        ],
        [],
      );
      const span = { env: ENV, since: M0, until: M0 + 5 * MIN };
      const perMinute = await store.rollups({ ...span, step: MIN });
      assert.deepEqual(
        perMinute.map((r) => [r.function, r.start - M0, r.count]),
        [
          ["fn", 0, 3],
          ["fn", MIN, 1],
          ["other", 3 * MIN, 1],
        ],
        "oldest first, one row per function and minute, empty minutes absent, other envs apart",
      );
      const v2 = await store.rollups({ ...span, step: MIN, function: "fn", version: "v2" });
      assert.deepEqual(
        v2.map((r) => [r.start - M0, r.count]),
        [[0, 2]],
      );
      const fn = await store.rollups({ ...span, step: MIN, function: "fn" });
      assert.deepEqual(
        fn.map((r) => r.count),
        [3, 1],
      );
    });

    test("a step sums minutes into buckets aligned to the epoch; since and until bound minutes", async (store) => {
      // M0 is 28333334 minutes: a 5-minute bucket starts 4 minutes before it.
      const five = 5 * MIN;
      const aligned = M0 - (M0 % five);
      await store.insertActivations(
        Array.from({ length: 12 }, (_, i) => activationAt(M0 + i * MIN)),
        [],
      );
      const rows = await store.rollups({ env: ENV, since: aligned, until: aligned + 15 * MIN, step: five });
      assert.deepEqual(
        rows.map((r) => [r.start - aligned, r.count]),
        [
          [0, 1],
          [five, 5],
          [2 * five, 5],
        ],
      );
      const bounded = await store.rollups({ env: ENV, since: M0 + 2 * MIN, until: M0 + 4 * MIN, step: MIN });
      assert.deepEqual(
        bounded.map((r) => r.start - M0),
        [2 * MIN, 3 * MIN],
      );
    });

    test("a batch that fails leaves no rollups behind: rollups never disagree with activations", async (store) => {
      const a = activationAt(M0);
      await store.insertActivations([a], []);
      // A span without a name violates its NOT NULL, after the batch's activation is written: the whole batch,
      // rollups included, rolls back.
      const late = activationAt(M0 + 1);
      const broken = {
        traceId: late.traceId,
        spanId: "0000000000000001",
        parentSpanId: null,
        name: null,
        kind: "client",
        startedAt: M0 + 1,
        durationMs: 1,
        status: "ok",
        statusMessage: null,
        attributes: {},
        activationId: late.id,
        env: ENV,
        function: "fn",
      } as unknown as Span;
      await assert.rejects(store.insertActivations([late], [], [broken]));
      assert.equal(await store.getActivation(late.id), undefined);
      const rows = await store.rollups({ env: ENV, since: M0, until: M0 + MIN, step: MIN });
      assert.deepEqual(
        rows.map((r) => r.count),
        [1],
      );
    });

    test("pruneRollups deletes the minutes before a time and keeps the rest", async (store) => {
      await store.insertActivations(
        Array.from({ length: 5 }, (_, i) => activationAt(M0 + i * MIN + 7)),
        [],
      );
      assert.equal(await store.pruneRollups(M0), 0);
      assert.equal(await store.pruneRollups(M0 + 2 * MIN), 2);
      const rows = await store.rollups({ env: ENV, since: 0, until: M0 + 10 * MIN, step: MIN });
      assert.deepEqual(
        rows.map((r) => r.start - M0),
        [2 * MIN, 3 * MIN, 4 * MIN],
      );
      // Rollups outlive the activations they sum: pruning activations leaves them alone.
      await store.pruneActivations({ before: M0 + 10 * MIN });
      assert.equal((await store.rollups({ env: ENV, since: 0, until: M0 + 10 * MIN, step: MIN })).length, 3);
    });
  });
}
