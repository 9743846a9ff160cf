// The recorder against a real store (SQLite, in memory) that is made to fail: what it keeps while the store is down,
// what it sheds beyond its limit, and that what it keeps lands in order once the store is back.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger, type Logger } from "../../src/logger.ts";
import type { Store } from "../../src/store/index.ts";
import type { RecordBatch } from "../../src/store/record-batch.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { ActivationRecorder } from "../../src/telemetry/recorder.ts";
import { act } from "../store/contract-activations.ts";
import { line } from "../store/contract-logs.ts";

const T0 = Date.now();

/** A real store whose writes fail while `down` is set. */
async function flakyStore(): Promise<{ store: Store; down: { value: boolean }; writes: number[] }> {
  const store = await openSqliteStore(":memory:");
  const down = { value: false };
  const writes: number[] = [];
  const insert = store.insertBatch.bind(store);
  store.insertBatch = async (batch: RecordBatch) => {
    if (down.value) throw new Error("disk full");
    writes.push(batch.count);
    await insert(batch);
  };
  return { store, down, writes };
}

const quiet = () => createLogger("silent");

describe("activation recorder", () => {
  it("keeps what it recorded while the store fails, and writes it in order once the store is back", async () => {
    const { store, down, writes } = await flakyStore();
    const recorder = new ActivationRecorder(store, quiet(), { flushMs: 60_000 });
    const first = act(T0, { function: "fn" });
    recorder.record(first, [line(first, "one")]);
    down.value = true;
    await recorder.flush();
    const second = act(T0 + 1, { function: "fn" });
    recorder.record(second, [line(second, "two")]);
    await recorder.flush();
    assert.deepEqual(writes, [], "nothing is written while the store is down");
    down.value = false;
    await recorder.close();
    assert.deepEqual(writes, [1, 1], "the two batches, oldest first");
    const listed = await store.listActivations({ env: first.env, function: "fn", limit: 10 });
    assert.deepEqual(
      listed.map((a) => a.id),
      [second.id, first.id],
    );
    const lines = await store.listLogs({ env: first.env, function: "fn", limit: 10 });
    assert.deepEqual(
      lines.map((l) => l.message),
      ["one", "two"],
      "the older batch's line has the lower id",
    );
    assert.equal(recorder.dropped, 0);
    await store.close();
  });

  it("sheds the oldest batches beyond maxBuffered while the store fails, and counts them", async () => {
    const { store, down } = await flakyStore();
    const recorder = new ActivationRecorder(store, quiet(), { flushMs: 60_000, maxBuffered: 3 });
    down.value = true;
    const acts = Array.from({ length: 5 }, (_, i) => act(T0 + i, { function: "fn" }));
    for (const a of acts) {
      recorder.record(a, []);
      await recorder.flush();
    }
    assert.equal(recorder.dropped, 2);
    down.value = false;
    await recorder.close();
    const listed = await store.listActivations({ env: acts[0]?.env ?? "", function: "fn", limit: 10 });
    assert.deepEqual(
      listed.map((a) => a.id),
      acts
        .slice(2)
        .reverse()
        .map((a) => a.id),
      "the newest three are kept",
    );
    await store.close();
  });

  it("refuses an activation whose id is not a UUIDv7 when it is recorded, and writes the rest of its batch", async () => {
    const { store } = await flakyStore();
    const recorder = new ActivationRecorder(store, quiet(), { flushMs: 60_000 });
    const good = act(T0, { function: "fn" });
    recorder.record(good, []);
    assert.throws(() => recorder.record(act(T0, { function: "fn", id: "not-a-uuid" }), []), /not a UUIDv7/);
    await recorder.close();
    const listed = await store.listActivations({ env: good.env, function: "fn", limit: 10 });
    assert.deepEqual(
      listed.map((a) => a.id),
      [good.id],
    );
    await store.close();
  });

  it("drops only a record it cannot pack, and says so, keeping the rest of its batch", async () => {
    const { store } = await flakyStore();
    const errors: string[] = [];
    const logger = { error: (_: unknown, message: string) => errors.push(message) } as unknown as Logger;
    const recorder = new ActivationRecorder(store, logger, { flushMs: 60_000 });
    const first = act(T0, { function: "fn" });
    const broken = { ...act(T0 + 1, { function: "fn" }), traceId: undefined as unknown as string };
    const last = act(T0 + 2, { function: "fn" });
    recorder.record(first, [line(first, "one")]);
    recorder.record(broken, [line(broken, "lost")]);
    recorder.record(last, [line(last, "kept")]);
    await recorder.close();
    const listed = await store.listActivations({ env: first.env, function: "fn", limit: 10 });
    assert.deepEqual(
      listed.map((a) => a.id),
      [last.id, first.id],
    );
    const logs = await store.listLogs({ env: first.env, function: "fn", limit: 10 });
    assert.deepEqual(logs.map((l) => l.message).sort(), ["kept", "one"]);
    assert.equal(recorder.dropped, 1);
    // Its lines go with it: they are stored in its row.
    assert.deepEqual(errors, ["recording an activation failed; it is dropped"]);
    await store.close();
  });

  it("writes every record, in order, across the groups it packs them in", async () => {
    const { store } = await flakyStore();
    const recorder = new ActivationRecorder(store, quiet(), { flushMs: 60_000 });
    // 150: two whole groups of 64 and part of a third, which only the flush packs.
    const acts = Array.from({ length: 150 }, (_, i) => act(T0 + i, { function: "fn" }));
    for (const a of acts) recorder.record(a, [line(a, `line ${a.id}`)]);
    await recorder.close();
    const listed = await store.listActivations({ env: acts[0]?.env ?? "", function: "fn", limit: 200 });
    assert.deepEqual(
      listed.map((a) => a.id),
      acts.map((a) => a.id).reverse(),
    );
    const logs = await store.listLogs({ env: acts[0]?.env ?? "", function: "fn", limit: 200 });
    assert.deepEqual(
      logs.map((l) => l.message),
      acts.map((a) => `line ${a.id}`),
    );
    await store.close();
  });

  it("writes a full batch without waiting for the timer", async () => {
    const { store, writes } = await flakyStore();
    const recorder = new ActivationRecorder(store, quiet(), { flushMs: 60_000, maxBatch: 3 });
    for (let i = 0; i < 3; i++) recorder.record(act(T0 + i, { function: "fn" }), []);
    // The write was started by the third record; this flush waits for it, and has nothing of its own.
    await recorder.flush();
    assert.deepEqual(writes, [3]);
    await recorder.close();
    await store.close();
  });
});
