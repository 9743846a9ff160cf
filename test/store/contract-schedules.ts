// The Store contract for schedules: the row per scheduled function, and the tick claim every node races for —
// exactly one fire per tick, overlap seen through the run's lease, missed ticks skipped once.
import assert from "node:assert/strict";
import { describe } from "node:test";
import type { ScheduleClaim, ScheduleSpec, Store } from "../../src/store/index.ts";

type StoreTest = (title: string, body: (store: Store) => Promise<void>) => void;

const T0 = 1_700_000_000_000;
const spec = (over: Partial<ScheduleSpec> = {}): ScheduleSpec => ({
  env: "prod",
  function: "cron",
  cron: "* * * * * *",
  timezone: null,
  overlap: "skip",
  missed: "skip",
  ...over,
});
const claim = (tick: number, over: Partial<ScheduleClaim> = {}): ScheduleClaim => ({
  env: "prod",
  function: "cron",
  tick,
  next: tick + 1000,
  now: tick,
  runningUntil: tick + 5000,
  activationId: `act-${tick}`,
  ...over,
});

export function schedulesContract(test: StoreTest): void {
  describe("schedules", () => {
    test("put creates, keeps the lease on a same-cron put, resets it on a new cron or zone", async (store) => {
      const first = await store.putSchedule(spec(), T0 + 1000, T0);
      assert.deepEqual(first, {
        ...spec(),
        nextFireAt: T0 + 1000,
        lastTick: 0,
        lastFiredAt: null,
        runningUntil: null,
        lastStatus: null,
        lastActivation: null,
        updatedAt: T0,
      });
      assert.equal(await store.claimScheduleTick(claim(T0 + 1000)), "fire");
      // Same cron, new policies: the policies change, the lease stays.
      const again = await store.putSchedule(spec({ overlap: "allow", missed: "run-once" }), T0 + 9999, T0 + 1500);
      assert.equal(again.nextFireAt, T0 + 2000);
      assert.equal(again.lastFiredAt, T0 + 1000);
      assert.deepEqual([again.overlap, again.missed], ["allow", "run-once"]);
      const moved = await store.putSchedule(spec({ cron: "*/5 * * * * *", timezone: "Europe/Berlin" }), T0 + 5000, T0);
      assert.equal(moved.nextFireAt, T0 + 5000);
      assert.equal(moved.timezone, "Europe/Berlin");
      assert.equal(moved.lastTick, T0 + 1000, "the claimed ticks stay claimed");
      assert.equal((await store.putSchedule(spec({ cron: "*/5 * * * * *" }), T0 + 7000, T0)).nextFireAt, T0 + 7000);
    });

    test("list by environment in function order; delete; removing the function removes its schedule", async (store) => {
      await store.putSchedule(spec({ function: "b" }), T0, T0);
      await store.putSchedule(spec({ function: "a" }), T0, T0);
      await store.putSchedule(spec({ env: "staging", function: "c" }), T0, T0);
      assert.deepEqual(
        (await store.listSchedules("prod")).map((s) => s.function),
        ["a", "b"],
      );
      assert.equal((await store.listSchedules()).length, 3);
      assert.equal(await store.deleteSchedule("prod", "a"), true);
      assert.equal(await store.deleteSchedule("prod", "a"), false);
      const bundle = "/* b */";
      await store.deploy(
        { env: "prod", function: "b", id: "v1", manifest: "{}", bundle, bundleBytes: 7, createdBy: "t" },
        "live",
        T0,
      );
      await store.deleteFunction("prod", "b");
      assert.deepEqual(await store.listSchedules("prod"), []);
    });

    test("of many nodes racing for one tick exactly one fires; an older or repeated tick is taken", async (store) => {
      await store.putSchedule(spec({ overlap: "allow" }), T0 + 1000, T0);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.claimScheduleTick(claim(T0 + 1000, { activationId: `n${i}` }))),
      );
      assert.deepEqual(
        results.filter((r) => r === "fire"),
        ["fire"],
      );
      assert.ok(results.every((r) => r === "fire" || r === "taken"));
      assert.equal(await store.claimScheduleTick(claim(T0 + 1000)), "taken");
      assert.equal(await store.claimScheduleTick(claim(T0 + 3000)), "fire", "overlap allow fires while running");
      assert.equal(await store.claimScheduleTick(claim(T0 + 2000)), "taken", "a late node's older tick");
      const row = (await store.listSchedules("prod"))[0];
      assert.equal(row?.lastTick, T0 + 3000);
      assert.equal(row?.nextFireAt, T0 + 4000);
      assert.equal(row?.lastStatus, "running");
      assert.equal(row?.lastActivation, `act-${T0 + 3000}`);
      assert.equal(await store.claimScheduleTick(claim(T0 + 9000, { function: "gone" })), "taken");
    });

    test("overlap skip: a tick during a run is skipped once; after the run ends or its lease runs out it fires", async (store) => {
      await store.putSchedule(spec(), T0 + 1000, T0);
      assert.equal(await store.claimScheduleTick(claim(T0 + 1000, { runningUntil: T0 + 10_000 })), "fire");
      const racing = await Promise.all([
        store.claimScheduleTick(claim(T0 + 2000)),
        store.claimScheduleTick(claim(T0 + 2000)),
      ]);
      assert.deepEqual(racing.sort(), ["skip", "taken"]);
      // The run of T0+1000 ends: its lease is cleared and its status kept.
      await store.finishScheduleRun("prod", "cron", T0 + 1000, "error");
      let row = (await store.listSchedules("prod"))[0];
      assert.deepEqual([row?.runningUntil, row?.lastStatus, row?.lastFiredAt], [null, "error", T0 + 1000]);
      assert.equal(await store.claimScheduleTick(claim(T0 + 3000, { runningUntil: T0 + 3500 })), "fire");
      // A finish for an older run leaves the current run's lease alone.
      await store.finishScheduleRun("prod", "cron", T0 + 1000, "success");
      row = (await store.listSchedules("prod"))[0];
      assert.deepEqual([row?.runningUntil, row?.lastStatus], [T0 + 3500, "running"]);
      // A node that died mid-run: its lease runs out and the next tick fires.
      assert.equal(await store.claimScheduleTick(claim(T0 + 4000)), "fire");
      await store.finishScheduleRun("prod", "cron", T0 + 4000, "success");
      row = (await store.listSchedules("prod"))[0];
      assert.deepEqual([row?.runningUntil, row?.lastStatus], [null, "success"]);
    });

    test("skipping missed ticks is one compare-and-set too", async (store) => {
      await store.putSchedule(spec(), T0 + 1000, T0);
      const racing = await Promise.all([
        store.skipScheduleTicks("prod", "cron", T0 + 60_000, T0 + 61_000, T0 + 60_500),
        store.skipScheduleTicks("prod", "cron", T0 + 60_000, T0 + 61_000, T0 + 60_500),
      ]);
      assert.deepEqual(racing.sort(), [false, true]);
      const row = (await store.listSchedules("prod"))[0];
      assert.deepEqual([row?.lastTick, row?.nextFireAt, row?.lastFiredAt], [T0 + 60_000, T0 + 61_000, null]);
      assert.equal(await store.claimScheduleTick(claim(T0 + 60_000)), "taken");
    });
  });
}
