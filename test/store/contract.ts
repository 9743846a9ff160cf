// The Store specification: one suite every adapter runs through its own few-line test file.
// It checks behaviour callers rely on (ordering, cursors, escaping, concurrency), never the SQL behind it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { v7 } from "uuid";
import type { Activation, EgressCall, LogLine, Span, Store, VersionRecord } from "../../src/store/index.ts";
import { activationsContract } from "./contract-activations.ts";
import { aliasesContract } from "./contract-aliases.ts";
import { auditContract } from "./contract-audit.ts";
import { bindingsContract } from "./contract-bindings.ts";
import { canariesContract } from "./contract-canaries.ts";
import { deliveriesContract } from "./contract-deliveries.ts";
import { environmentsContract } from "./contract-environments.ts";
import { logsContract } from "./contract-logs.ts";
import { policiesContract } from "./contract-policies.ts";
import { rollupsContract } from "./contract-rollups.ts";
import { schedulesContract } from "./contract-schedules.ts";
import { tokensContract } from "./contract-tokens.ts";

const ENV = "prod";
const T0 = 1_700_000_000_000;

function version(fn: string, id: string, bundle = `/* ${id} */`): Omit<VersionRecord, "seq" | "createdAt"> {
  return {
    env: ENV,
    function: fn,
    id,
    manifest: JSON.stringify({ name: fn, memory: 128, id }),
    bundle,
    bundleBytes: Buffer.byteLength(bundle),
    createdBy: "tester",
  };
}

/** Activation ids are UUIDv7 with increasing timestamps, so id order is time order. */
function activations(count: number, fn: (i: number) => string): Activation[] {
  return Array.from({ length: count }, (_, i) => {
    const error = i % 3 === 0;
    return {
      id: v7({ msecs: T0 + i }),
      env: ENV,
      function: fn(i),
      version: `v${i % 4}`,
      trigger: i % 2 === 0 ? "http" : "invoke",
      startedAt: T0 + i,
      durationMs: 0.125 + i / 7,
      billedMs: i + 1,
      memoryMb: 128,
      status: error ? "error" : "success",
      errorCode: error ? "FunctionError" : null,
      errorMessage: error ? `boom ${i} — ünïcode 'quoted' "double"` : null,
      httpStatus: i % 2 === 0 ? (error ? 500 : 200) : null,
      cold: i % 5 === 0,
      traceId: `trace-${i}`,
      correlationId: `corr-${i}`,
      logsDropped: i % 7,
      cpuMs: i % 4 === 0 ? null : 0.25 + i / 3,
      gbSeconds: (128 / 1024) * ((i + 1) / 1000),
      egress: egressOf(i),
    };
  });
}

/** None, one allowed call, or an allowed and a denied one (which has no status and an error code). */
function egressOf(i: number): EgressCall[] {
  if (i % 3 === 0) return [];
  const ok: EgressCall = {
    host: "api.example.com",
    method: "GET",
    status: 200,
    bytesOut: 0,
    bytesIn: 12 + i,
    durationMs: 1.5,
  };
  if (i % 2 === 0) return [ok];
  return [
    ok,
    {
      host: "bücher.example",
      method: "POST",
      status: null,
      bytesOut: 3,
      bytesIn: 0,
      durationMs: 0,
      error: "EgressDenied",
    },
  ];
}

function log(
  a: Activation,
  level: LogLine["level"],
  message: string,
  ts = a.startedAt,
  fields: LogLine["fields"] = null,
): LogLine {
  const { id: activationId, env, function: fn, version, traceId, correlationId } = a;
  return { activationId, env, function: fn, version, ts, level, message, fields, traceId, correlationId };
}

/** An invocation's server span and, for every other activation, a kv child span under it. */
function spansOf(a: Activation, i: number, traceId = `${String(i % 3).repeat(31)}a`): Span[] {
  const server: Span = {
    traceId,
    spanId: (i + 1).toString(16).padStart(16, "0"),
    parentSpanId: i % 2 === 0 ? null : "00f067aa0ba902b7",
    name: `GET /fn/${a.function}`,
    kind: "server",
    startedAt: a.startedAt + 0.125,
    durationMs: a.durationMs,
    status: a.status === "error" ? "error" : "ok",
    statusMessage: a.errorMessage,
    attributes: { "faas.trigger": "http", "faas.coldstart": a.cold, "faas.max_memory": 134_217_728, "pave.env": "ü" },
    activationId: a.id,
    env: a.env,
    function: a.function,
  };
  if (i % 2 === 1) return [server];
  const child: Span = {
    ...server,
    spanId: `${(i + 1).toString(16).padStart(15, "0")}f`,
    parentSpanId: server.spanId,
    name: "kv.get carts",
    kind: "client",
    startedAt: server.startedAt + 0.5,
    durationMs: 0.25,
    status: "ok",
    statusMessage: null,
    attributes: { "db.system.name": "pave.kv", "db.operation.name": "get" },
  };
  return [server, child];
}

/** Registers the Store contract suite; `open` must return a fresh, empty, migrated store each call. */
export function storeContract(name: string, open: () => Promise<Store>): void {
  /** Each test gets its own store and always closes it. */
  function test(title: string, body: (store: Store) => Promise<void>): void {
    it(title, async () => {
      const store = await open();
      try {
        await body(store);
      } finally {
        await store.close();
      }
    });
  }

  describe(`Store contract: ${name}`, () => {
    describe("lifecycle", () => {
      test("a fresh store has the prod environment", async (store) => {
        assert.ok((await store.listEnvironments()).includes("prod"));
      });

      test("ping resolves while open", async (store) => {
        await store.ping();
      });

      it("ping rejects after close", async () => {
        const store = await open();
        await store.ping();
        await store.close();
        await assert.rejects(store.ping());
      });
    });

    describe("functions, versions and aliases", () => {
      test("deploy creates the function and its first version with seq 1", async (store) => {
        const res = await store.deploy(version("checkout", "aaa111"), "live", T0);
        assert.equal(res.created, true);
        assert.equal(res.previous, null);
        assert.equal(res.version.seq, 1);
        assert.equal(res.version.id, "aaa111");
        assert.equal(res.version.createdAt, T0);
        assert.equal(res.version.bundle, "/* aaa111 */");
        assert.equal(res.version.bundleBytes, Buffer.byteLength("/* aaa111 */"));
        assert.equal(res.version.createdBy, "tester");
        assert.equal(await store.getAlias(ENV, "checkout", "live"), "aaa111");
      });

      test("redeploying an identical version is a no-op that keeps its seq", async (store) => {
        await store.deploy(version("checkout", "aaa111"), "live", T0);
        const again = await store.deploy(version("checkout", "aaa111"), "live", T0 + 1000);
        assert.equal(again.created, false);
        assert.equal(again.version.seq, 1);
        assert.equal(again.version.createdAt, T0);
        assert.equal((await store.listVersions(ENV, "checkout")).length, 1);
        const next = await store.deploy(version("checkout", "bbb222"), "live", T0 + 2000);
        assert.equal(next.version.seq, 2, "a no-op redeploy must not consume a seq");
      });

      test("a different version gets the next seq and reports the previous live", async (store) => {
        await store.deploy(version("checkout", "aaa111"), "live", T0);
        const res = await store.deploy(version("checkout", "bbb222"), "live", T0 + 1000);
        assert.equal(res.created, true);
        assert.equal(res.version.seq, 2);
        assert.equal(res.previous, "aaa111");
        assert.equal(await store.getAlias(ENV, "checkout", "live"), "bbb222");
      });

      test("getFunction and listFunctions return the live version and its manifest", async (store) => {
        await store.deploy(version("checkout", "aaa111"), "live", T0);
        await store.deploy(version("checkout", "bbb222"), "live", T0 + 1000);
        await store.deploy(version("api", "ccc333"), "live", T0 + 2000);

        const fn = await store.getFunction(ENV, "checkout");
        assert.ok(fn);
        assert.equal(fn.env, ENV);
        assert.equal(fn.name, "checkout");
        assert.equal(fn.live, "bbb222");
        assert.equal(fn.manifest, version("checkout", "bbb222").manifest);
        assert.equal(fn.createdAt, T0);
        assert.equal(fn.updatedAt, T0 + 1000);

        assert.equal(await store.getFunction(ENV, "missing"), undefined);
        assert.equal(await store.getFunction("staging", "checkout"), undefined);

        const all = await store.listFunctions(ENV);
        assert.deepEqual(
          all.map((f) => [f.name, f.live, f.manifest]),
          [
            ["api", "ccc333", version("api", "ccc333").manifest],
            ["checkout", "bbb222", version("checkout", "bbb222").manifest],
          ],
        );
        assert.deepEqual(await store.listFunctions("staging"), []);
      });

      test("getVersion returns the bundle; listVersions is newest first without it", async (store) => {
        await store.deploy(version("checkout", "aaa111"), "live", T0);
        await store.deploy(version("checkout", "bbb222"), "live", T0 + 1000);
        await store.deploy(version("checkout", "ccc333"), "canary", T0 + 2000);

        const v = await store.getVersion(ENV, "checkout", "aaa111");
        assert.deepEqual(v, { ...version("checkout", "aaa111"), seq: 1, createdAt: T0 });
        assert.equal(await store.getVersion(ENV, "checkout", "nope"), undefined);
        assert.equal(await store.getVersion(ENV, "other", "aaa111"), undefined);

        const list = await store.listVersions(ENV, "checkout");
        assert.deepEqual(
          list.map((r) => [r.id, r.seq]),
          [
            ["ccc333", 3],
            ["bbb222", 2],
            ["aaa111", 1],
          ],
        );
        for (const r of list) assert.equal("bundle" in r, false, "listVersions must not carry bundles");
        const { bundle: _bundle, ...first } = { ...version("checkout", "ccc333"), seq: 3, createdAt: T0 + 2000 };
        assert.deepEqual(list[0], first);
      });

      test("getAlias resolves each alias independently", async (store) => {
        await store.deploy(version("checkout", "aaa111"), "live", T0);
        await store.deploy(version("checkout", "bbb222"), "canary", T0 + 1000);
        assert.equal(await store.getAlias(ENV, "checkout", "live"), "aaa111");
        assert.equal(await store.getAlias(ENV, "checkout", "canary"), "bbb222");
        assert.equal(await store.getAlias(ENV, "checkout", "beta"), undefined);
        assert.equal(await store.getAlias(ENV, "other", "live"), undefined);
      });

      test("deleteFunction removes versions and aliases but keeps activations and logs", async (store) => {
        await store.deploy(version("checkout", "aaa111"), "live", T0);
        await store.deploy(version("checkout", "bbb222"), "canary", T0 + 1000);
        await store.deploy(version("api", "ccc333"), "live", T0 + 2000);
        const [a] = activations(1, () => "checkout");
        assert.ok(a);
        await store.insertActivations([a], [log(a, "info", "kept")]);

        assert.equal(await store.deleteFunction(ENV, "checkout"), true);
        assert.equal(await store.getFunction(ENV, "checkout"), undefined);
        assert.deepEqual(await store.listVersions(ENV, "checkout"), []);
        assert.equal(await store.getVersion(ENV, "checkout", "aaa111"), undefined);
        assert.equal(await store.getAlias(ENV, "checkout", "live"), undefined);
        assert.equal(await store.getAlias(ENV, "checkout", "canary"), undefined);
        assert.deepEqual(
          (await store.listFunctions(ENV)).map((f) => f.name),
          ["api"],
        );
        assert.deepEqual(await store.getActivation(a.id), a);
        assert.equal((await store.listLogs({ env: ENV, function: "checkout", limit: 10 })).length, 1);
        assert.equal(await store.deleteFunction(ENV, "checkout"), false, "a second delete finds nothing");

        // A function deployed again after deletion starts afresh.
        const again = await store.deploy(version("checkout", "ddd444"), "live", T0 + 3000);
        assert.equal(again.version.seq, 1);
        assert.equal(again.previous, null);
      });

      test("concurrent deploys of two versions of one function both succeed with distinct seqs", async (store) => {
        const [a, b] = await Promise.all([
          store.deploy(version("checkout", "aaa111"), "live", T0),
          store.deploy(version("checkout", "bbb222"), "live", T0),
        ]);
        assert.ok(a.created && b.created);
        assert.deepEqual([a.version.seq, b.version.seq].sort(), [1, 2]);
        const live = await store.getAlias(ENV, "checkout", "live");
        assert.ok(live === "aaa111" || live === "bbb222", `live is ${live}`);
        const versions = await store.listVersions(ENV, "checkout");
        assert.deepEqual(versions.map((v) => v.seq).sort(), [1, 2]);
        // Exactly one of them saw the other as the previous live.
        const previous = [a.previous, b.previous].sort();
        assert.ok(previous[0] === null || previous[1] === null, `previous: ${previous}`);
      });
    });

    describe("activations and logs", () => {
      const COUNT = 1200;
      const fnOf = (i: number) => (i % 2 === 0 ? "even" : "odd");

      test(`a batch of ${COUNT} activations and logs round-trips every field`, async (store) => {
        const acts = activations(COUNT, fnOf);
        const logs = acts.flatMap((a, i) => [
          log(a, "info", `line ${i}`),
          log(
            a,
            "error",
            `err ${i}`,
            a.startedAt + 1,
            i % 3 === 0 ? { i, nested: { ok: true, list: [1, "x"] } } : null,
          ),
        ]);
        await store.insertActivations(acts, logs);

        for (const i of [0, 1, 2, 3, 5, 499, 500, 501, 999, 1000, COUNT - 1]) {
          const a = acts[i];
          assert.ok(a);
          assert.deepEqual(await store.getActivation(a.id), a, `activation ${i}`);
        }
        const listed = await store.listActivations({ env: ENV, limit: COUNT * 2 });
        assert.equal(listed.length, COUNT);
        assert.deepEqual(listed, [...acts].reverse());

        const stored = await store.listLogs({ env: ENV, limit: logs.length * 2 });
        assert.equal(stored.length, logs.length);
        // Lines come chunk by chunk (one per function and version here), each activation's together, in order.
        const chunkOf = (l: LogLine) => `${l.function}\n${l.version}`;
        const chunks = [...new Set(logs.map(chunkOf))];
        assert.deepEqual(
          stored.map(({ id: _id, ...rest }) => rest),
          [...logs].sort((x, y) => chunks.indexOf(chunkOf(x)) - chunks.indexOf(chunkOf(y))),
        );
        const ids = stored.map((l) => l.id);
        assert.ok(
          ids.every((id, i) => typeof id === "number" && (i === 0 || id > (ids[i - 1] ?? 0))),
          "log ids increase",
        );
        assert.equal(await store.getActivation("no-such-id"), undefined);
        await store.insertActivations([], []);
      });

      test("cpu time, GB-seconds and egress calls round-trip, including their absence", async (store) => {
        const [a, b, c] = activations(3, fnOf);
        assert.ok(a && b && c);
        const none = { ...a, cpuMs: null, gbSeconds: 0, egress: [] };
        const denied = { ...b, cpuMs: 0.125, gbSeconds: 0.000_125, egress: egressOf(1) };
        const many = {
          ...c,
          cpuMs: 12.5,
          gbSeconds: 2.5,
          egress: Array.from({ length: 40 }, (_, i) => egressOf(i + 1)).flat(),
        };
        await store.insertActivations([none, denied, many], []);
        assert.deepEqual(await store.getActivation(none.id), none);
        assert.deepEqual(await store.getActivation(denied.id), denied);
        assert.equal((await store.getActivation(denied.id))?.egress[1]?.error, "EgressDenied");
        assert.deepEqual(await store.getActivation(many.id), many);
        assert.deepEqual(await store.listActivations({ env: ENV, limit: 10 }), [many, denied, none]);
      });

      test("listActivations filters by function and status, newest first", async (store) => {
        const acts = activations(30, fnOf);
        await store.insertActivations(acts, []);
        await store.insertActivations(
          activations(2, () => "even").map((a, i) => ({ ...a, id: v7({ msecs: T0 + 100 + i }), env: "staging" })),
          [],
        );

        const even = await store.listActivations({ env: ENV, function: "even", limit: 100 });
        assert.deepEqual(
          even.map((a) => a.id),
          acts
            .filter((a) => a.function === "even")
            .map((a) => a.id)
            .reverse(),
        );
        const errors = await store.listActivations({ env: ENV, status: "error", limit: 100 });
        assert.ok(errors.length > 0);
        assert.ok(errors.every((a) => a.status === "error"));
        assert.equal(errors.length, acts.filter((a) => a.status === "error").length);
        const oddErrors = await store.listActivations({ env: ENV, function: "odd", status: "error", limit: 100 });
        assert.deepEqual(
          oddErrors.map((a) => a.id),
          acts
            .filter((a) => a.function === "odd" && a.status === "error")
            .map((a) => a.id)
            .reverse(),
        );
        assert.equal((await store.listActivations({ env: "staging", limit: 100 })).length, 2);
        assert.equal((await store.listActivations({ env: ENV, limit: 5 })).length, 5);
      });

      test("listActivations filters by version, trigger, time range, trace id and correlation id", async (store) => {
        const acts = activations(30, fnOf);
        await store.insertActivations(acts, []);
        const ids = (q: Partial<Parameters<Store["listActivations"]>[0]>) =>
          store.listActivations({ env: ENV, limit: 100, ...q }).then((rows) => rows.map((a) => a.id));
        const expect = (keep: (a: Activation) => boolean) =>
          acts
            .filter(keep)
            .map((a) => a.id)
            .reverse();

        assert.deepEqual(
          await ids({ version: "v1" }),
          expect((a) => a.version === "v1"),
        );
        assert.deepEqual(
          await ids({ trigger: "invoke" }),
          expect((a) => a.trigger === "invoke"),
        );
        // Since is inclusive, until exclusive, both by start time (ids are time-ordered).
        assert.deepEqual(
          await ids({ since: T0 + 10, until: T0 + 20 }),
          expect((a) => a.startedAt >= T0 + 10 && a.startedAt < T0 + 20),
        );
        assert.deepEqual(await ids({ since: T0 + 29 }), [acts[29]?.id]);
        assert.deepEqual(await ids({ until: T0 }), []);
        assert.deepEqual(await ids({ traceId: "trace-7" }), [acts[7]?.id]);
        assert.deepEqual(await ids({ correlationId: "corr-12" }), [acts[12]?.id]);
        assert.deepEqual(await ids({ correlationId: "corr-12", status: "success" }), []);
        assert.deepEqual(
          await ids({ function: "even", version: "v2", trigger: "http" }),
          expect((a) => a.function === "even" && a.version === "v2" && a.trigger === "http"),
        );
      });

      test("pruneActivations deletes by age and beyond a count, with their log lines and spans", async (store) => {
        const acts = activations(30, fnOf);
        // One trace per activation, so what is left of each is easy to read back.
        const traceOf = (i: number) => i.toString(16).padStart(32, "a");
        await store.insertActivations(
          acts,
          acts.map((a) => log(a, "info", `line of ${a.id}`)),
          acts.flatMap((a, i) => spansOf(a, i, traceOf(i))),
        );
        const spansLeft = async () =>
          (await Promise.all(acts.map((_, i) => store.listSpans(traceOf(i))))).map((s) => s.length);
        const left = async () => (await store.listActivations({ env: ENV, limit: 100 })).map((a) => a.id);
        const lines = async () => (await store.listLogs({ env: ENV, limit: 1000 })).map((l) => l.activationId);

        assert.deepEqual(await store.pruneActivations({}), { activations: 0, logs: 0, spans: 0 });
        assert.deepEqual(await store.pruneActivations({ before: T0 + 10 }), {
          activations: 10,
          logs: 10,
          spans: 15,
        });
        assert.deepEqual(
          await left(),
          acts
            .slice(10)
            .map((a) => a.id)
            .reverse(),
        );
        // Count and age together: whichever removes more wins.
        assert.deepEqual(await store.pruneActivations({ before: T0 + 12, keep: 5 }), {
          activations: 15,
          logs: 15,
          spans: 23,
        });
        const kept = acts
          .slice(25)
          .map((a) => a.id)
          .reverse();
        assert.deepEqual(await left(), kept);
        assert.deepEqual((await lines()).sort(), [...kept].sort());
        assert.deepEqual(
          await spansLeft(),
          acts.map((_, i) => (i < 25 ? 0 : i % 2 === 0 ? 2 : 1)),
        );
        assert.deepEqual(await store.pruneActivations({ keep: 5 }), { activations: 0, logs: 0, spans: 0 });
      });

      test("spans round-trip every field and list by trace in start order", async (store) => {
        const acts = activations(12, fnOf);
        const spans = acts.flatMap((a, i) => spansOf(a, i));
        // Written in one batch with their activations, in no particular order.
        await store.insertActivations(acts, [], [...spans].reverse());
        for (const traceId of ["0000000000000000000000000000000a", "2222222222222222222222222222222a"]) {
          const expected = spans
            .filter((s) => s.traceId === traceId)
            .sort((x, y) => x.startedAt - y.startedAt || (x.spanId < y.spanId ? -1 : 1));
          assert.ok(expected.length > 0);
          assert.deepEqual(await store.listSpans(traceId), expected);
        }
        assert.deepEqual(await store.listSpans("f".repeat(32)), []);
        // Spans may also come alone (an activation written in an earlier batch).
        const [late] = spansOf(acts[0] as Activation, 100, "b".repeat(32));
        await store.insertActivations([], [], [late as Span]);
        assert.deepEqual(await store.listSpans("b".repeat(32)), [late]);
      });

      test("an activation holding its span lists it in its trace, between its children, and loses it when pruned", async (store) => {
        const traceId = "c".repeat(32);
        const [base] = activations(1, fnOf);
        const a: Activation = {
          ...(base as Activation),
          traceId,
          trigger: "http",
          httpStatus: 201,
          spanId: "1111111111111111",
          parentSpanId: "00f067aa0ba902b7",
          spanStartedAt: (base as Activation).startedAt + 0.25,
          httpMethod: "POST",
          httpPath: "/carts/ü",
        };
        const child: Span = {
          traceId,
          spanId: "2222222222222222",
          parentSpanId: a.spanId as string,
          name: "kv.get carts",
          kind: "client",
          startedAt: (a.spanStartedAt as number) + 0.5,
          durationMs: 0.25,
          status: "ok",
          statusMessage: null,
          attributes: { "db.system.name": "pave.kv" },
          activationId: a.id,
          env: a.env,
          function: a.function,
        };
        await store.insertActivations([a], [], [child]);
        assert.deepEqual(await store.getActivation(a.id), a);
        const spans = await store.listSpans(traceId);
        assert.deepEqual(
          spans.map((s) => [s.spanId, s.kind, s.name, s.parentSpanId, s.startedAt]),
          [
            ["1111111111111111", "server", `POST /fn/${a.function}`, "00f067aa0ba902b7", a.spanStartedAt],
            ["2222222222222222", "client", "kv.get carts", "1111111111111111", child.startedAt],
          ],
        );
        assert.equal(spans[0]?.attributes["url.path"], "/carts/ü");
        assert.equal(spans[0]?.attributes["http.response.status_code"], 201);
        assert.equal(spans[0]?.activationId, a.id);
        await store.pruneActivations({ keep: 0 });
        assert.deepEqual(await store.listSpans(traceId), []);
      });

      test("usage sums invocations, errors and GB-seconds per group over a time span", async (store) => {
        const acts = activations(30, fnOf);
        await store.insertActivations(acts, []);
        const span = { since: T0 + 10, until: T0 + 20 };
        const inSpan = acts.filter((a) => a.startedAt >= span.since && a.startedAt < span.until);
        const byFn = await store.usage({ env: ENV, by: "function", ...span });
        for (const fn of ["even", "odd"]) {
          const mine = inSpan.filter((a) => a.function === fn);
          const row = byFn.find((r) => r.key === `${ENV}/${fn}`);
          assert.ok(row, fn);
          assert.equal(row.invocations, mine.length);
          assert.equal(row.errors, mine.filter((a) => a.status === "error").length);
          assert.ok(Math.abs(row.gbSeconds - mine.reduce((t, a) => t + a.gbSeconds, 0)) < 1e-9);
          assert.equal(row.function, fn);
        }
        const byVersion = await store.usage({ by: "version", ...span });
        assert.equal(
          byVersion.reduce((t, r) => t + r.invocations, 0),
          inSpan.length,
        );
        assert.ok(byVersion.every((r) => /^(even|odd)@v\d$/.test(r.key)));
        assert.deepEqual(await store.usage({ env: "staging", by: "env", ...span }), []);
      });

      test("listActivations pages with the before cursor over all rows without overlap", async (store) => {
        const acts = activations(53, fnOf);
        await store.insertActivations(acts, []);
        const seen: string[] = [];
        let before: string | undefined;
        for (let page = 0; page < 20; page++) {
          const rows = await store.listActivations({ env: ENV, limit: 10, ...(before !== undefined && { before }) });
          if (rows.length === 0) break;
          assert.ok(rows.length <= 10);
          seen.push(...rows.map((r) => r.id));
          before = rows.at(-1)?.id;
        }
        assert.deepEqual(seen, acts.map((a) => a.id).reverse());
      });

      test("listLogs filters by function, activation, level and since", async (store) => {
        const acts = activations(4, fnOf);
        const [a0, a1, a2] = acts;
        assert.ok(a0 && a1 && a2);
        const logs = [
          log(a0, "debug", "d0"),
          log(a0, "info", "i0"),
          log(a1, "warn", "w1"),
          log(a1, "error", "e1"),
          log(a2, "info", "i2", T0 + 5000),
          log(a2, "warn", "w2", T0 + 6000),
        ];
        await store.insertActivations(acts, logs);
        const messages = async (q: Partial<Parameters<Store["listLogs"]>[0]>) =>
          (await store.listLogs({ env: ENV, limit: 100, ...q })).map((l) => l.message);

        assert.deepEqual(await messages({ function: "even" }), ["d0", "i0", "i2", "w2"]);
        assert.deepEqual(await messages({ function: "odd" }), ["w1", "e1"]);
        assert.deepEqual(await messages({ activationId: a2.id }), ["i2", "w2"]);
        assert.deepEqual(await messages({ level: "warn" }), ["w1", "e1", "w2"]);
        assert.deepEqual(await messages({ level: "error" }), ["e1"]);
        assert.deepEqual(await messages({ level: "debug" }), ["d0", "i0", "w1", "e1", "i2", "w2"]);
        assert.deepEqual(await messages({ level: "info", function: "even" }), ["i0", "i2", "w2"]);
        assert.deepEqual(await messages({ since: T0 + 5500 }), ["w2"]);
        assert.deepEqual(await messages({ env: "staging" }), []);
      });

      test("listLogs filters by until and correlation id, and grep also finds text in the fields", async (store) => {
        const acts = activations(3, fnOf);
        const [a0, a1, a2] = acts;
        assert.ok(a0 && a1 && a2);
        await store.insertActivations(acts, [
          log(a0, "info", "first", T0, { orderId: 7, customer: "Ada" }),
          log(a1, "info", "second", T0 + 1000),
          log(a2, "info", "third", T0 + 2000, { note: "50%_off" }),
        ]);
        const messages = async (q: Partial<Parameters<Store["listLogs"]>[0]>) =>
          (await store.listLogs({ env: ENV, limit: 100, ...q })).map((l) => l.message);
        assert.deepEqual(await messages({ until: T0 + 1000 }), ["first"]);
        assert.deepEqual(await messages({ since: T0 + 500, until: T0 + 2001 }), ["second", "third"]);
        assert.deepEqual(await messages({ correlationId: a1.correlationId }), ["second"]);
        assert.deepEqual(await messages({ correlationId: a1.correlationId, function: "even" }), []);
        assert.deepEqual(await messages({ correlationId: "no-such" }), []);
        assert.deepEqual(await messages({ grep: "ada" }), ["first"]);
        assert.deepEqual(await messages({ grep: "%_o" }), ["third"]);
        const [first] = await store.listLogs({ env: ENV, limit: 10, activationId: a0.id });
        assert.deepEqual(first?.fields, { orderId: 7, customer: "Ada" });
        assert.equal(first?.traceId, a0.traceId);
        assert.equal(first?.correlationId, a0.correlationId);
      });

      test("log text with control characters and any Unicode round-trips exactly", async (store) => {
        const [a] = activations(1, fnOf);
        assert.ok(a);
        const hostile = "\x1b[31mred\x1b]8;;http://evil\x07 \u0000 \r\b line1\nline2 \u{1F600} \u202e";
        await store.insertActivations([a], [log(a, "info", hostile, a.startedAt, { [hostile]: hostile })]);
        const [line] = await store.listLogs({ env: ENV, limit: 10 });
        assert.equal(line?.message, hostile);
        assert.deepEqual(line?.fields, { [hostile]: hostile });
      });

      test("listLogs grep is a literal, case-insensitive substring", async (store) => {
        const [a] = activations(1, fnOf);
        assert.ok(a);
        const texts = ["50abc", "50abcx", "50%_x done", "Disk at 50%_X", "a_b", "axb", "back\\slash", "plain"];
        await store.insertActivations(
          [a],
          texts.map((t) => log(a, "info", t)),
        );
        const grep = async (g: string) =>
          (await store.listLogs({ env: ENV, grep: g, limit: 100 })).map((l) => l.message);

        assert.deepEqual(await grep("50%_x"), ["50%_x done", "Disk at 50%_X"]);
        assert.deepEqual(await grep("a_b"), ["a_b"]);
        assert.deepEqual(await grep("%"), ["50%_x done", "Disk at 50%_X"]);
        assert.deepEqual(await grep("\\s"), ["back\\slash"]);
        assert.deepEqual(await grep("PLAIN"), ["plain"]);
        assert.deepEqual(await grep("nothing"), []);
      });

      test("listLogs tails the newest lines ascending, and follows oldest-first after a cursor", async (store) => {
        const [a] = activations(1, fnOf);
        assert.ok(a);
        await store.insertActivations(
          [a],
          Array.from({ length: 25 }, (_, i) => log(a, "info", `m${i}`, T0 + i)),
        );
        const tail = await store.listLogs({ env: ENV, limit: 5 });
        assert.deepEqual(
          tail.map((l) => l.message),
          ["m20", "m21", "m22", "m23", "m24"],
        );

        const all = await store.listLogs({ env: ENV, limit: 100 });
        const cursor = all[9]?.id;
        assert.ok(cursor !== undefined);
        const next = await store.listLogs({ env: ENV, after: cursor, limit: 5 });
        assert.deepEqual(
          next.map((l) => l.message),
          ["m10", "m11", "m12", "m13", "m14"],
        );

        // Following page by page sees every later line exactly once.
        const followed: string[] = [];
        let after = cursor;
        for (;;) {
          const page = await store.listLogs({ env: ENV, after, limit: 4 });
          if (page.length === 0) break;
          followed.push(...page.map((l) => l.message));
          after = page.at(-1)?.id ?? after;
        }
        assert.deepEqual(
          followed,
          Array.from({ length: 15 }, (_, i) => `m${i + 10}`),
        );
        const last = all.at(-1)?.id;
        assert.ok(last !== undefined);
        assert.deepEqual(await store.listLogs({ env: ENV, after: last, limit: 5 }), []);
      });
    });

    bindingsContract(test);
    rollupsContract(test);
    activationsContract(test);
    logsContract(test);
    auditContract(test);
    schedulesContract(test);
    aliasesContract(test);
    deliveriesContract(test);
    policiesContract(test);
    canariesContract(test);

    tokensContract(test);
    environmentsContract(test);
  });
}
