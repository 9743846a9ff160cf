// The Store contract for how activations are found once stored in chunks (see activation-chunks.ts): across batches
// that overlap in time, batches split by span and size, ids a trace or correlation derives or links, usage at the
// edges of a span, and retention through the middle of a chunk. Part of storeContract.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { v7 } from "uuid";
import { CHUNK_MAX_ROWS, ownTraceId } from "../../src/store/activation-chunks.ts";
import type { Activation, Store } from "../../src/store/index.ts";
import { activationAt } from "./contract-rollups.ts";

const ENV = "prod";
const T0 = 1_700_000_000_000;

type StoreTest = (title: string, body: (store: Store) => Promise<void>) => void;

/** An activation started at `at` that began its own trace and correlation, with `over` on top. */
export function act(at: number, over: Partial<Activation> = {}): Activation {
  const a = activationAt(at, over);
  return { ...a, traceId: over.traceId ?? ownTraceId(a.id), correlationId: over.correlationId ?? a.id };
}

const ids = (list: Activation[]) => list.map((a) => a.id);
const newestFirst = (list: Activation[]) => ids(list).sort().reverse();

/** Every page of a listing, `limit` at a time, following the before cursor. */
async function allPages(store: Store, limit: number, q: { function?: string; status?: "error" } = {}) {
  const seen: string[] = [];
  let before: string | undefined;
  for (;;) {
    const rows = await store.listActivations({ env: ENV, limit, ...q, ...(before !== undefined && { before }) });
    seen.push(...ids(rows));
    if (rows.length < limit) return seen;
    before = rows.at(-1)?.id;
  }
}

export function activationsContract(test: StoreTest): void {
  describe("activations in chunks", () => {
    test("batches that overlap in time list newest first and page without gaps or repeats", async (store) => {
      // Three batches of one function, each holding every third millisecond: three chunks over the same span.
      const batches = [0, 1, 2].map((k) =>
        Array.from({ length: 100 }, (_, i) =>
          act(T0 + 3 * i + k, i % 10 === k ? { status: "error", errorCode: "FunctionError" } : {}),
        ),
      );
      for (const b of batches) await store.insertActivations(b, []);
      const all = batches.flat();
      assert.deepEqual(await allPages(store, 7), newestFirst(all));
      assert.deepEqual(await allPages(store, 13, { function: "fn" }), newestFirst(all));
      assert.deepEqual(
        await allPages(store, 4, { status: "error" }),
        newestFirst(all.filter((a) => a.status === "error")),
      );
      const newest = await store.listActivations({ env: ENV, limit: 5 });
      assert.deepEqual(ids(newest), newestFirst(all).slice(0, 5));
    });

    test("a batch is split by its activations' span and by size, and each activation is found by id", async (store) => {
      // A long invocation recorded with short ones a minute younger; and more than a chunk holds, of one key.
      const long = act(T0);
      const many = Array.from({ length: CHUNK_MAX_ROWS * 2 + 5 }, (_, i) => act(T0 + 60_000 + i));
      const late = act(T0 + 30_000);
      await store.insertActivations([...many.slice(0, 10), long, ...many.slice(10), late], []);
      for (const a of [long, late, many[0], many[CHUNK_MAX_ROWS], many.at(-1)] as Activation[]) {
        assert.deepEqual(await store.getActivation(a.id), a);
      }
      assert.equal(await store.getActivation(v7({ msecs: T0 + 5 })), undefined);
      assert.equal(await store.getActivation("not-a-uuid"), undefined);
      const all = [long, late, ...many];
      assert.deepEqual(ids(await store.listActivations({ env: ENV, limit: 3 })), newestFirst(all).slice(0, 3));
      const [usage] = await store.usage({ env: ENV, by: "function", since: T0, until: T0 + 3_600_000 });
      assert.equal(usage?.invocations, all.length);
    });

    test("a trace or correlation id finds the activation it is derived from and those that joined it", async (store) => {
      const root = act(T0);
      // Children joined the root's trace and correlation: from other functions, in a later batch.
      const children = [1, 2, 3].map((i) =>
        act(T0 + i, {
          function: `child-${i}`,
          traceId: root.traceId,
          correlationId: root.correlationId,
          spanId: `${i}`.padStart(16, "0"),
          parentSpanId: "00f067aa0ba902b7",
          spanStartedAt: T0 + i,
        }),
      );
      const stranger = act(T0 + 4, { traceId: "f".repeat(32), correlationId: "order-17" });
      await store.insertActivations([root, stranger], []);
      await store.insertActivations(children, []);
      const family = newestFirst([root, ...children]);
      assert.deepEqual(ids(await store.listActivations({ env: ENV, traceId: root.traceId, limit: 10 })), family);
      assert.deepEqual(ids(await store.listActivations({ env: ENV, correlationId: root.id, limit: 10 })), family);
      assert.deepEqual(
        ids(await store.listActivations({ env: ENV, traceId: root.traceId, function: "child-2", limit: 10 })),
        [children[1]?.id],
      );
      assert.deepEqual(ids(await store.listActivations({ env: ENV, correlationId: "order-17", limit: 10 })), [
        stranger.id,
      ]);
      // The stranger's own id is no correlation id of its: it named another.
      assert.deepEqual(await store.listActivations({ env: ENV, correlationId: stranger.id, limit: 10 }), []);
      assert.deepEqual(await store.listActivations({ env: ENV, traceId: ownTraceId(stranger.id), limit: 10 }), []);
      assert.deepEqual(
        (await store.listSpans(root.traceId)).map((s) => s.spanId),
        ["0000000000000001", "0000000000000002", "0000000000000003"],
      );
      await store.pruneActivations({ keep: 0 });
      assert.deepEqual(await store.listActivations({ env: ENV, traceId: root.traceId, limit: 10 }), []);
      assert.deepEqual(await store.listActivations({ env: ENV, correlationId: "order-17", limit: 10 }), []);
    });

    test("usage counts exactly at the edges of a span, across chunks inside it and straddling it", async (store) => {
      const batches = [0, 1, 2].map((k) =>
        Array.from({ length: 10 }, (_, i) =>
          act(T0 + 10 * k + i, i % 4 === 0 ? { status: "error", errorCode: "Timeout", gbSeconds: 0.5 } : {}),
        ),
      );
      for (const b of batches) await store.insertActivations(b, []);
      const inSpan = batches.flat().filter((a) => a.startedAt >= T0 + 5 && a.startedAt < T0 + 25);
      const [row] = await store.usage({ env: ENV, by: "env", since: T0 + 5, until: T0 + 25 });
      assert.equal(row?.invocations, inSpan.length);
      assert.equal(row?.errors, inSpan.filter((a) => a.status === "error").length);
      assert.ok(Math.abs((row?.gbSeconds ?? 0) - inSpan.reduce((t, a) => t + a.gbSeconds, 0)) < 1e-9);
    });

    test("retention through the middle of a chunk keeps the rest of it findable, links included", async (store) => {
      const batch = Array.from({ length: 20 }, (_, i) =>
        act(T0 + i, { traceId: `${String(i).padStart(2, "0")}${"e".repeat(30)}`, correlationId: `c-${i}` }),
      );
      await store.insertActivations(batch, []);
      assert.equal((await store.pruneActivations({ before: T0 + 12 })).activations, 12);
      assert.deepEqual(ids(await store.listActivations({ env: ENV, limit: 50 })), newestFirst(batch.slice(12)));
      for (const [i, a] of batch.entries()) {
        const byTrace = await store.listActivations({ env: ENV, traceId: a.traceId, limit: 5 });
        const byCorrelation = await store.listActivations({ env: ENV, correlationId: `c-${i}`, limit: 5 });
        assert.deepEqual(ids(byTrace), i < 12 ? [] : [a.id]);
        assert.deepEqual(ids(byCorrelation), i < 12 ? [] : [a.id]);
      }
      assert.equal((await store.pruneActivations({ keep: 3 })).activations, 5);
      assert.deepEqual(ids(await store.listActivations({ env: ENV, limit: 50 })), newestFirst(batch.slice(17)));
    });
  });
}
