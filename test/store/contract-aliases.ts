// The Store contract for aliases: weighted splits and shadows round-trip, every move leaves a history entry in the
// same transaction, and an alias never points at a version the function does not have.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { v7 } from "uuid";
import type { AliasTarget, Store, VersionRecord } from "../../src/store/index.ts";

type StoreTest = (title: string, body: (store: Store) => Promise<void>) => void;

const ENV = "prod";
const T0 = 1_700_000_000_000;

function version(fn: string, id: string, by = "tester"): Omit<VersionRecord, "seq" | "createdAt"> {
  const bundle = `/* ${id} */`;
  return { env: ENV, function: fn, id, manifest: "{}", bundle, bundleBytes: bundle.length, createdBy: by };
}

const move = (reason: string, now = T0) => ({ reason, by: "alice", now });

export function aliasesContract(test: StoreTest): void {
  describe("aliases", () => {
    test("a deploy points live at the version at 100% and records who moved it", async (store) => {
      const first = await store.deploy(version("fn", "a1"), "live", T0);
      assert.equal(first.previous, null);
      assert.equal(first.from, null);
      await store.deploy(version("fn", "b2", "bob"), "live", T0 + 1);
      const live = await store.readAlias(ENV, "fn", "live");
      assert.deepEqual(live?.split, [{ version: "b2", weight: 100 }]);
      assert.equal(live?.shadow, null);
      assert.equal(live?.updatedBy, "bob");
      assert.equal(await store.getAlias(ENV, "fn", "live"), "b2");
      const history = await store.listAliasHistory(ENV, "fn", "live", 10);
      assert.deepEqual(
        history.map((h) => [h.from?.split[0]?.version ?? null, h.to?.split[0]?.version, h.reason, h.by]),
        [
          ["a1", "b2", "deploy", "bob"],
          [null, "a1", "deploy", "tester"],
        ],
      );
    });

    test("a deploy's target sees what the alias held and may split it", async (store) => {
      await store.deploy(version("fn", "a1"), "live", T0);
      let seen: AliasTarget | null = null;
      const out = await store.deploy(version("fn", "b2"), "live", T0 + 1, {
        reason: "canary",
        target: (current) => {
          seen = current;
          return {
            split: [
              { version: current?.split[0]?.version as string, weight: 90 },
              { version: "b2", weight: 10 },
            ],
            shadow: null,
          };
        },
      });
      assert.deepEqual(seen, { split: [{ version: "a1", weight: 100 }], shadow: null });
      assert.equal(out.previous, "a1");
      const live = await store.readAlias(ENV, "fn", "live");
      assert.deepEqual(live?.split, [
        { version: "a1", weight: 90 },
        { version: "b2", weight: 10 },
      ]);
      // The baseline is what listings call live.
      assert.equal((await store.getFunction(ENV, "fn"))?.live, "a1");
      assert.equal((await store.listAliasHistory(ENV, "fn", "live", 1))[0]?.reason, "canary");
    });

    test("setAlias creates and moves splits and shadows, returning what the alias held", async (store) => {
      await store.deploy(version("fn", "a1"), "live", T0);
      await store.deploy(version("fn", "b2"), "live", T0 + 1);
      const target: AliasTarget = {
        split: [
          { version: "a1", weight: 50 },
          { version: "b2", weight: 50 },
        ],
        shadow: { version: "a1", percent: 25, writes: false },
      };
      assert.equal(await store.setAlias(ENV, "fn", "staging", target, move("set")), null);
      const staging = await store.readAlias(ENV, "fn", "staging");
      assert.deepEqual({ split: staging?.split, shadow: staging?.shadow }, target);
      const back = await store.setAlias(
        ENV,
        "fn",
        "staging",
        { split: [{ version: "b2", weight: 100 }], shadow: null },
        move("set"),
      );
      assert.deepEqual(back, target);
      assert.deepEqual(
        (await store.listAliases(ENV, "fn")).map((a) => a.name),
        ["live", "staging"],
      );
    });

    test("setAlias refuses unknown versions and functions, and changes nothing", async (store) => {
      await store.deploy(version("fn", "a1"), "live", T0);
      await assert.rejects(
        store.setAlias(ENV, "fn", "live", { split: [{ version: "nope", weight: 100 }], shadow: null }, move("set")),
        { code: "VersionNotFound" },
      );
      await assert.rejects(
        store.setAlias(
          ENV,
          "fn",
          "live",
          { split: [{ version: "a1", weight: 100 }], shadow: { version: "ghost", percent: 10, writes: false } },
          move("set"),
        ),
        { code: "VersionNotFound" },
      );
      await assert.rejects(
        store.setAlias(ENV, "nofn", "live", { split: [{ version: "a1", weight: 100 }], shadow: null }, move("set")),
        { code: "FunctionNotFound" },
      );
      assert.equal(await store.getAlias(ENV, "fn", "live"), "a1");
      assert.equal((await store.listAliasHistory(ENV, "fn", "live", 10)).length, 1);
    });

    test("deleteAlias removes one alias and records it; history outlives the function", async (store) => {
      await store.deploy(version("fn", "a1"), "live", T0);
      await store.setAlias(
        ENV,
        "fn",
        "staging",
        { split: [{ version: "a1", weight: 100 }], shadow: null },
        move("set"),
      );
      assert.equal(await store.deleteAlias(ENV, "fn", "staging", move("remove")), true);
      assert.equal(await store.deleteAlias(ENV, "fn", "staging", move("remove")), false);
      assert.equal(await store.readAlias(ENV, "fn", "staging"), undefined);
      const [removed] = await store.listAliasHistory(ENV, "fn", "staging", 10);
      assert.equal(removed?.to, null);
      assert.equal(removed?.reason, "remove");
      await store.deleteFunction(ENV, "fn");
      assert.deepEqual(await store.listAliases(ENV, "fn"), []);
      assert.equal((await store.listAliasHistory(ENV, "fn", "live", 10)).length, 1);
    });

    test("history is per alias, newest first, and limited", async (store) => {
      for (let i = 0; i < 5; i++) await store.deploy(version("fn", `v${i}`), "live", T0 + i);
      await store.deploy(version("other", "x"), "live", T0);
      const two = await store.listAliasHistory(ENV, "fn", "live", 2);
      assert.deepEqual(
        two.map((h) => h.to?.split[0]?.version),
        ["v4", "v3"],
      );
      assert.equal(two[0]?.at, T0 + 4);
    });

    test("a shadow activation keeps its link to the primary and whether their answers matched", async (store) => {
      const base = {
        env: ENV,
        function: "fn",
        version: "a1",
        startedAt: T0,
        durationMs: 1,
        billedMs: 1,
        memoryMb: 128,
        status: "success" as const,
        errorCode: null,
        errorMessage: null,
        httpStatus: 200,
        cold: false,
        traceId: "t",
        correlationId: "c",
        logsDropped: 0,
        cpuMs: null,
        gbSeconds: 0,
        egress: [],
      };
      const primary = { ...base, id: v7({ msecs: T0 }), trigger: "http" as const };
      const shadow = {
        ...base,
        id: v7({ msecs: T0 + 1 }),
        trigger: "shadow" as const,
        version: "b2",
        shadowOf: primary.id,
        shadowMatch: false,
      };
      await store.insertActivations([primary, shadow], []);
      const got = await store.getActivation(shadow.id);
      assert.equal(got?.trigger, "shadow");
      assert.equal(got?.shadowOf, primary.id);
      assert.equal(got?.shadowMatch, false);
      assert.equal((await store.getActivation(primary.id))?.shadowOf, undefined);
      const listed = await store.listActivations({ env: ENV, trigger: "shadow", limit: 10 });
      assert.deepEqual(
        listed.map((a) => a.id),
        [shadow.id],
      );
    });
  });
}
