// The Store contract for how log lines are found once stored in their activations' rows (see activation-chunks.ts):
// insertion order across the functions of a batch and across batches, a chunk's columns never hiding a line a query
// asks for (--grep's spellings, levels, an activation's lines), and retention through the middle of a chunk. Part of
// storeContract.
import assert from "node:assert/strict";
import { describe } from "node:test";
import { v7 } from "uuid";
import { LINE_SLOTS } from "../../src/store/activation-chunks.ts";
import type { Activation, LogLine, Store } from "../../src/store/index.ts";
import { act as activation } from "./contract-activations.ts";

/** An activation of `fn` started at `at`, with `over` on top. */
function act(at: number, fn = "fn", over: Partial<Activation> = {}): Activation {
  return activation(at, { function: fn, ...over });
}

const ENV = "prod";
const T0 = 1_700_000_000_000;

type StoreTest = (title: string, body: (store: Store) => Promise<void>) => void;

/** A log line of `a`, as the invoker records one. */
export function line(a: Activation, message: string, over: Partial<LogLine> = {}): LogLine {
  return {
    activationId: a.id,
    env: a.env,
    function: a.function,
    version: a.version,
    ts: a.startedAt,
    level: "info",
    message,
    fields: null,
    traceId: a.traceId,
    correlationId: a.correlationId,
    ...over,
  };
}

const messages = (lines: LogLine[]) => lines.map((l) => l.message);

export function logsContract(test: StoreTest): void {
  describe("log lines in their activations' chunks", () => {
    test("lines keep the order they were recorded in, activation by activation, across batches", async (store) => {
      const [a, b, c] = [act(T0, "a"), act(T0 + 1, "b"), act(T0 + 2, "c")] as [Activation, Activation, Activation];
      // Interleaved functions in one batch, then a second batch.
      await store.insertActivations(
        [a, b, c],
        [line(a, "a1"), line(b, "b1"), line(a, "a2"), line(c, "c1"), line(b, "b2")],
      );
      const d = act(T0 + 3, "a");
      await store.insertActivations([d], [line(d, "a3")]);
      // An activation's lines are recorded with it: a's, then b's, then c's.
      const order = ["a1", "a2", "b1", "b2", "c1", "a3"];
      const all = await store.listLogs({ env: ENV, limit: 100 });
      assert.deepEqual(messages(all), order);
      const ids = all.map((l) => l.id as number);
      assert.deepEqual(
        ids,
        [...ids].sort((x, y) => x - y),
      );
      assert.deepEqual(messages(await store.listLogs({ env: ENV, limit: 4 })), order.slice(2));
      assert.deepEqual(messages(await store.listLogs({ env: ENV, function: "a", limit: 2 })), ["a2", "a3"]);
      // A follower whose cursor is in the middle of a batch gets the rest of it, then the next, once each.
      assert.deepEqual(messages(await store.listLogs({ env: ENV, after: ids[2], limit: 2 })), ["b2", "c1"]);
      assert.deepEqual(messages(await store.listLogs({ env: ENV, after: ids[4], limit: 10 })), ["a3"]);
      assert.deepEqual(await store.listLogs({ env: ENV, after: ids[5], limit: 10 }), []);
    });

    test("the horizon lies at or past every line visible, and before every line written later", async (store) => {
      assert.equal(await store.logHorizon(ENV), 0, "no line yet");
      const [a, b] = [act(T0, "a"), act(T0 + 1, "b")] as [Activation, Activation];
      await store.insertActivations([a, b], [line(a, "a1"), line(b, "b1"), line(a, "a2")]);
      const horizon = await store.logHorizon(ENV);
      const first = await store.listLogs({ env: ENV, limit: 100 });
      assert.ok(
        first.every((l) => (l.id as number) <= horizon),
        `${first.map((l) => l.id)} ≤ ${horizon}`,
      );
      // What a follower that had reached the horizon asks next: the later batch, and nothing before it.
      const c = act(T0 + 2, "a");
      await store.insertActivations([c], [line(c, "a3")]);
      assert.deepEqual(messages(await store.listLogs({ env: ENV, after: horizon, limit: 100 })), ["a3"]);
      assert.ok((await store.logHorizon(ENV)) > horizon);
      assert.equal(await store.logHorizon("staging"), 0, "per environment");
    });

    test("more lines of one function than a chunk holds stay in order, tailed and followed", async (store) => {
      // 1000 lines an activation (the runtime's limit): a batch of them fills more than one chunk's LINE_SLOTS.
      const acts = Array.from({ length: Math.ceil(LINE_SLOTS / 1000) + 1 }, (_, i) => act(T0 + i));
      const count = acts.length * 1000;
      await store.insertActivations(
        acts,
        acts.flatMap((a, j) => Array.from({ length: 1000 }, (_, i) => line(a, `n${j * 1000 + i}`))),
      );
      assert.deepEqual(messages(await store.listLogs({ env: ENV, function: "fn", limit: 3 })), [
        `n${count - 3}`,
        `n${count - 2}`,
        `n${count - 1}`,
      ]);
      // Followed from the start: the cursor before every line.
      let after = 0;
      let seen = 0;
      for (;;) {
        const page = await store.listLogs({ env: ENV, limit: 1000, after });
        if (page.length === 0) break;
        for (const l of page) assert.equal(l.message, `n${seen++}`);
        after = page.at(-1)?.id as number;
      }
      assert.equal(seen, count);
      const last = acts.at(-1) as Activation;
      assert.deepEqual(messages(await store.listLogs({ env: ENV, activationId: last.id, limit: 2 })), [
        `n${count - 2}`,
        `n${count - 1}`,
      ]);
    });

    test("--grep finds text however JSON spells it in a chunk, in messages and in fields", async (store) => {
      const texts = [
        'say "hi"',
        "C:\\temp\\x",
        "red \u001b[31mALERT\u001b[0m",
        "nul\0byte",
        "tab\there",
        "ünïcode Ölf",
      ];
      // A batch each, so a chunk the grep wrongly passed over would lose its line.
      for (const t of texts) {
        const a = act(T0 + texts.indexOf(t));
        await store.insertActivations([a], [line(a, t), line(a, "filler")]);
      }
      const f = act(T0 + 100);
      await store.insertActivations([f], [line(f, "with fields", { fields: { quote: 'a "b"', n: 7 } })]);
      const grep = async (g: string) => messages(await store.listLogs({ env: ENV, grep: g, limit: 100 }));
      assert.deepEqual(await grep('"hi"'), ['say "hi"']);
      assert.deepEqual(await grep("\\temp\\"), ["C:\\temp\\x"]);
      assert.deepEqual(await grep("\u001b[31malert"), ["red \u001b[31mALERT\u001b[0m"]);
      assert.deepEqual(await grep("\0"), ["nul\0byte"]);
      assert.deepEqual(await grep("\t"), ["tab\there"]);
      assert.deepEqual(await grep("ünïcode"), ["ünïcode Ölf"]);
      // A capital the database does not fold (SQLite folds ASCII only) is still found as typed.
      assert.deepEqual(await grep("Ölf"), ["ünïcode Ölf"]);
      assert.deepEqual(await grep("CODE Ö"), ["ünïcode Ölf"]);
      // Fields are matched as their JSON text: structure and escaped quotes included.
      assert.deepEqual(await grep('"n":7'), ["with fields"]);
      assert.deepEqual(await grep('a \\"b\\"'), ["with fields"]);
      assert.deepEqual(await grep("nowhere"), []);
    });

    test("--level and time filters skip chunks without losing a line; an activation's lines span batches", async (store) => {
      const a = act(T0);
      const b = act(T0 + 1);
      await store.insertActivations([b], [line(b, "b info"), line(b, "b debug", { level: "debug" })]);
      // a's lines are recorded with it, in a later batch than b's, though a started first.
      await store.insertActivations(
        [a],
        [line(a, "a info", { ts: T0 + 5 }), line(a, "a error", { level: "error", ts: T0 + 9 })],
      );
      const c = act(T0 + 20);
      await store.insertActivations([c], [line(c, "c warn", { level: "warn", ts: T0 + 20 })]);
      assert.deepEqual(messages(await store.listLogs({ env: ENV, level: "warn", limit: 10 })), ["a error", "c warn"]);
      assert.deepEqual(messages(await store.listLogs({ env: ENV, level: "error", limit: 10 })), ["a error"]);
      assert.deepEqual(messages(await store.listLogs({ env: ENV, since: T0 + 6, until: T0 + 20, limit: 10 })), [
        "a error",
      ]);
      assert.deepEqual(messages(await store.listLogs({ env: ENV, activationId: a.id, limit: 10 })), [
        "a info",
        "a error",
      ]);
      assert.deepEqual(await store.listLogs({ env: ENV, activationId: v7({ msecs: T0 + 2 }), limit: 10 }), []);
      assert.deepEqual(await store.listLogs({ env: ENV, activationId: "not-an-id", limit: 10 }), []);
    });

    test("a correlation's lines come from every function that joined it", async (store) => {
      const root = act(T0, "checkout");
      const child = act(T0 + 1, "payments", { correlationId: root.id });
      const other = act(T0 + 2, "payments");
      await store.insertActivations([root], [line(root, "start"), line(root, "done", { ts: T0 + 3 })]);
      await store.insertActivations([child, other], [line(child, "charged"), line(other, "unrelated")]);
      assert.deepEqual(messages(await store.listLogs({ env: ENV, correlationId: root.id, limit: 10 })), [
        "start",
        "done",
        "charged",
      ]);
      assert.deepEqual(
        messages(await store.listLogs({ env: ENV, correlationId: root.id, function: "payments", limit: 10 })),
        ["charged"],
      );
    });

    test("retention through the middle of a chunk keeps the lines left, with their ids", async (store) => {
      const acts = Array.from({ length: 10 }, (_, i) => act(T0 + i));
      await store.insertActivations(
        acts,
        acts.map((a, i) => line(a, `m${i}`)),
      );
      const before = await store.listLogs({ env: ENV, limit: 100 });
      assert.equal((await store.pruneActivations({ before: T0 + 4 })).logs, 4);
      const after = await store.listLogs({ env: ENV, limit: 100 });
      assert.deepEqual(after, before.slice(4));
      // A follower whose cursor was on a line now gone goes on from the next.
      assert.deepEqual(messages(await store.listLogs({ env: ENV, after: before[1]?.id, limit: 2 })), ["m4", "m5"]);
    });

    test("retention of activations between others keeps the ids of the lines after them", async (store) => {
      // Recorded as they finish, not as they started: the older ones sit between newer ones in the chunk.
      const [a0, a1, a5, a6] = [act(T0), act(T0 + 1), act(T0 + 5), act(T0 + 6)] as Activation[] as [
        Activation,
        Activation,
        Activation,
        Activation,
      ];
      await store.insertActivations(
        [a5, a0, a6, a1],
        [line(a5, "m5"), line(a0, "m0"), line(a0, "m0b"), line(a6, "m6"), line(a1, "m1")],
      );
      const before = await store.listLogs({ env: ENV, limit: 100 });
      assert.deepEqual(messages(before), ["m5", "m0", "m0b", "m6", "m1"]);
      assert.deepEqual(await store.pruneActivations({ before: T0 + 2 }), { activations: 2, logs: 3, spans: 0 });
      const after = await store.listLogs({ env: ENV, limit: 100 });
      assert.deepEqual(after, [before[0], before[3]]);
      assert.deepEqual(await store.listLogs({ env: ENV, level: "info", since: T0 + 6, limit: 100 }), [before[3]]);
      assert.equal((await store.listActivations({ env: ENV, limit: 10 })).length, 2);
    });

    test("a line is stored with its activation, or not at all", async (store) => {
      const a = act(T0);
      await assert.rejects(store.insertActivations([], [line(a, "alone")]), /its activation is not with it/);
      assert.deepEqual(await store.listLogs({ env: ENV, limit: 10 }), []);
    });
  });
}
