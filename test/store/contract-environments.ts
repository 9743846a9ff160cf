// The Store contract for environments: records with their metadata, creating one as a copy of another's config
// (never its data), tearing one down whole, deploys refused into a missing one, and per-function activity.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { v7 } from "uuid";
import type { Activation, EnvironmentRecord, Store, VersionRecord } from "../../src/store/index.ts";

type StoreTest = (title: string, body: (store: Store) => Promise<void>) => void;

const T0 = 1_700_000_040_000;
const MIN = 60_000;

const env = (name: string, over: Partial<EnvironmentRecord> = {}): EnvironmentRecord => ({
  name,
  createdAt: T0,
  createdBy: "tester",
  from: null,
  expiresAt: null,
  ...over,
});

function version(envName: string, fn: string, id: string): Omit<VersionRecord, "seq" | "createdAt"> {
  const bundle = `/* ${fn} ${id} */`;
  return {
    env: envName,
    function: fn,
    id,
    manifest: JSON.stringify({ name: fn, id }),
    bundle,
    bundleBytes: bundle.length,
    createdBy: "tester",
  };
}

function act(fn: string, startedAt: number, gbSeconds = 0.5): Activation {
  return {
    id: v7({ msecs: startedAt }),
    env: "prod",
    function: fn,
    version: "v1",
    trigger: "invoke",
    startedAt,
    durationMs: 1,
    billedMs: 1,
    memoryMb: 128,
    status: "success",
    errorCode: null,
    errorMessage: null,
    httpStatus: null,
    cold: false,
    traceId: "t",
    correlationId: "c",
    logsDropped: 0,
    cpuMs: null,
    gbSeconds,
    egress: [],
  };
}

/** A source environment with two functions (one with two versions and a schedule), data, a secret and a topic. */
async function seed(store: Store): Promise<void> {
  await store.createEnvironment(env("staging"), T0);
  await store.deploy(version("staging", "api", "a1"), "live", T0);
  await store.deploy(version("staging", "api", "a2"), "live", T0 + 1);
  await store.deploy(version("staging", "cron", "c1"), "live", T0 + 2);
  await store.putSchedule(
    { env: "staging", function: "cron", cron: "* * * * *", timezone: null, overlap: "skip", missed: "skip" },
    T0 + MIN,
    T0,
  );
  assert.equal(
    await store.claimScheduleTick({
      env: "staging",
      function: "cron",
      tick: T0 + MIN,
      next: T0 + 2 * MIN,
      now: T0 + MIN,
      runningUntil: T0 + 2 * MIN,
      activationId: "x",
    }),
    "fire",
  );
  await store.kvPut("staging", "carts", "k", { value: new Uint8Array([1]), expiresAt: null });
  const sealed = { keyId: "k1", iv: new Uint8Array(12), ciphertext: new Uint8Array([1, 2]), tag: new Uint8Array(16) };
  await store.putSecret("staging", "API_KEY", sealed, T0);
  await store.createTopic("staging", "orders", T0);
  await store.publishEvents("staging", "orders", [
    { id: v7(), payload: "{}", correlationId: "c", traceId: "t", source: "test", publishedAt: T0 },
  ]);
}

export function environmentsContract(test: StoreTest): void {
  describe("environments", () => {
    test("prod is seeded with no creator, source or expiry; records round-trip", async (store) => {
      const [prod] = await store.listEnvironmentRecords();
      assert.equal(prod?.name, "prod");
      assert.deepEqual(
        { ...prod, createdAt: 0 },
        { name: "prod", createdAt: 0, createdBy: null, from: null, expiresAt: null },
      );
      await store.createEnvironment(env("pr-7", { expiresAt: T0 + 3_600_000 }), T0);
      assert.deepEqual(await store.getEnvironment("pr-7"), env("pr-7", { expiresAt: T0 + 3_600_000 }));
      assert.equal(await store.getEnvironment("nope"), undefined);
      assert.deepEqual(await store.listEnvironments(), ["pr-7", "prod"]);
      assert.deepEqual(
        (await store.listEnvironmentRecords()).map((e) => e.name),
        ["pr-7", "prod"],
      );
    });

    test("creating an existing environment or copying from a missing one is refused and changes nothing", async (store) => {
      await assert.rejects(store.createEnvironment(env("prod"), T0), { code: "EnvironmentExists" });
      await assert.rejects(store.createEnvironment(env("x", { from: "nope" }), T0), { code: "EnvironmentNotFound" });
      assert.equal(await store.getEnvironment("x"), undefined);
    });

    test("a deploy into a missing environment is refused", async (store) => {
      await assert.rejects(
        store.deploy(version("ghost", "api", "a1"), "live", T0),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, "EnvironmentNotFound");
          assert.match(err.message, /pave env create ghost/);
          return true;
        },
      );
      assert.deepEqual(await store.listFunctions("ghost"), []);
    });

    test("--from copies functions, versions, aliases, schedules and topics; never kv, secrets or events", async (store) => {
      await seed(store);
      const copy = await store.createEnvironment(env("pr-1", { from: "staging" }), T0 + 5000);
      assert.deepEqual(copy, { functions: 2, versions: 3, aliases: 2, schedules: 1, topics: 1 });
      assert.equal((await store.getEnvironment("pr-1"))?.from, "staging");

      const fns = await store.listFunctions("pr-1");
      assert.deepEqual(
        fns.map((f) => [f.name, f.live, f.liveSince, f.createdAt]),
        [
          ["api", "a2", T0 + 5000, T0 + 5000],
          ["cron", "c1", T0 + 5000, T0 + 5000],
        ],
      );
      assert.deepEqual(await store.getVersion("pr-1", "api", "a1"), {
        ...version("pr-1", "api", "a1"),
        seq: 1,
        createdAt: T0,
      });
      // The seq counter came along: the next deploy there is seq 3, not a clash.
      assert.equal((await store.deploy(version("pr-1", "api", "a3"), "live", T0 + 6000)).version.seq, 3);
      assert.equal(await store.getAlias("staging", "api", "live"), "a2", "the source is untouched");

      const [schedule] = await store.listSchedules("pr-1");
      assert.deepEqual(
        [schedule?.cron, schedule?.lastTick, schedule?.lastFiredAt, schedule?.lastStatus],
        ["* * * * *", 0, null, null],
      );
      assert.deepEqual(
        (await store.listTopics("pr-1")).map((t) => [t.name, t.createdAt]),
        [["orders", T0 + 5000]],
      );
      assert.deepEqual(await store.listEvents("pr-1", "orders", { limit: 10 }), []);
      assert.equal(await store.kvGet("pr-1", "carts", "k", T0), undefined);
      assert.deepEqual(await store.listSecrets("pr-1"), []);
      assert.deepEqual(await store.environmentContents("pr-1"), {
        functions: 2,
        kvEntries: 0,
        secrets: 0,
        topics: 1,
        schedules: 1,
      });
    });

    test("deleting tears the environment down whole and leaves others alone", async (store) => {
      await seed(store);
      await store.createEnvironment(env("pr-1", { from: "staging" }), T0);
      assert.deepEqual(await store.deleteEnvironment("staging"), {
        functions: 2,
        kvEntries: 1,
        secrets: 1,
        topics: 1,
        schedules: 1,
      });
      assert.equal(await store.getEnvironment("staging"), undefined);
      assert.deepEqual(await store.environmentContents("staging"), {
        functions: 0,
        kvEntries: 0,
        secrets: 0,
        topics: 0,
        schedules: 0,
      });
      assert.deepEqual(await store.listVersions("staging", "api"), []);
      assert.equal(await store.getAlias("staging", "api", "live"), undefined);
      assert.deepEqual(await store.listEvents("staging", "orders", { limit: 10 }), []);
      assert.equal(await store.deleteEnvironment("staging"), undefined);
      assert.equal((await store.listFunctions("pr-1")).length, 2, "the copy stays");
      // A name can be used again once removed, starting empty.
      await store.createEnvironment(env("staging"), T0);
      assert.deepEqual(await store.listFunctions("staging"), []);
    });

    test("function activity: last invocation ever, invocations and GB-seconds since a time", async (store) => {
      await store.deploy(version("prod", "busy", "b1"), "live", T0);
      await store.insertActivations([act("old", T0), act("busy", T0), act("busy", T0 + 10 * MIN + 5)], []);
      const rows = await store.functionActivity("prod", T0 + 5 * MIN);
      assert.deepEqual(rows, [
        { function: "busy", lastInvokedAt: T0 + 10 * MIN, invocations: 1, gbSeconds: 0.5 },
        { function: "old", lastInvokedAt: T0, invocations: 0, gbSeconds: 0 },
      ]);
      assert.deepEqual(await store.functionActivity("staging", T0), []);
    });
  });
}
