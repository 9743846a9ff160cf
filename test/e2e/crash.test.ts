// Crash safety of topic delivery: a real `pave up` child process is killed with SIGKILL while it consumes, then
// restarted on the same data directory; every published event is processed at least once and none is lost.
// Duplicates (at-least-once) are counted and reported as a figure, not asserted. The poison variant checks that a
// message that always throws ends in the dead-letter list after maxRetries while the rest flow past it.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { PaveClient } from "../../src/client/index.ts";
import { eventually, removeFunctionDirs, writeFunction } from "./helpers.ts";

after(removeFunctionDirs);

const BIN = fileURLToPath(new URL("../../bin/pave.js", import.meta.url));
const BATCH = 250;

/** Records each event once under seen/<id>; a second delivery also leaves dup/<id>/<activation>. */
const RECORDER = `export default {
  async queue(batch, env, ctx) {
    await Promise.all(batch.messages.map(async (m) => {
      try {
        if (m.body.poison) throw new Error("poison message " + m.id);
        const key = "seen/" + m.id;
        if (await env.SEEN.get(key)) await env.SEEN.put("dup/" + m.id + "/" + crypto.randomUUID(), "1");
        else await env.SEEN.put(key, "1");
        m.ack();
      } catch (err) {
        m.retry();
      }
    }));
  },
};`;

interface Node {
  child: ChildProcess;
  client: PaveClient;
}

/** Starts `pave up --port 0` on `dataDir` and waits for its URL and token. */
async function up(dataDir: string): Promise<Node> {
  const child = spawn(
    process.execPath,
    ["--no-node-snapshot", BIN, "up", "--port", "0", "--data", dataDir, "--log-level", "error"],
    {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PAVE_CONFIG: join(dataDir, "cli-config.json") },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pave up did not start: ${out}`)), 60_000);
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /Pave is up at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.on("exit", (code) => reject(new Error(`pave up exited with ${code}: ${out}`)));
  });
  child.stdout?.resume();
  const token = readFileSync(join(dataDir, "admin-token"), "utf8").trim();
  return { child, client: new PaveClient({ url, token }) };
}

function kill9(node: Node): Promise<void> {
  return new Promise((resolve) => {
    if (node.child.exitCode !== null || node.child.signalCode !== null) return resolve();
    node.child.once("exit", () => resolve());
    node.child.kill("SIGKILL");
  });
}

/** Every key under `prefix` in the subscriber's namespace, page by page. */
async function countKeys(client: PaveClient, prefix: string): Promise<number> {
  let n = 0;
  let cursor: string | undefined;
  do {
    const page = await client.listKvKeys("seen", { prefix, limit: 1000, ...(cursor && { cursor }) });
    n += page.keys.length;
    cursor = page.cursor ?? undefined;
  } while (cursor);
  return n;
}

async function crashRun(opts: { events: number; poison: boolean }): Promise<void> {
  const started = Date.now();
  const dataDir = mkdtempSync(join(tmpdir(), "pave-crash-"));
  let node = await up(dataDir);
  try {
    await node.client.createTopic("stream");
    const yaml = `name: recorder
entry: src/index.ts
timeout: 5s
concurrency: 8
subscriptions:
  - topic: stream
    batchSize: 100
    maxConcurrency: 4
    maxRetries: 2
bindings:
  kv: { SEEN: { namespace: seen } }
`;
    await node.client.deploy(await writeFunction({ "pave.yaml": yaml, "src/index.ts": RECORDER }));

    const bodies = Array.from({ length: opts.events }, (_, n) => ({ n }));
    const batches: { data: unknown }[][] = [];
    for (let i = 0; i < bodies.length; i += BATCH) batches.push(bodies.slice(i, i + BATCH).map((data) => ({ data })));
    if (opts.poison) batches[1]?.splice(10, 0, { data: { poison: true } });
    // Only events whose publish answered 202 are owed; a batch cut off by the kill is published again afterwards.
    const acked: string[] = [];
    const done = new Set<number>();
    let poisonId: string | undefined;
    const publishAll = async (client: PaveClient) => {
      for (const [i, events] of batches.entries()) {
        if (done.has(i)) continue;
        const out = await client.publish("stream", { events });
        if (opts.poison && i === 1) [poisonId] = out.ids.splice(10, 1);
        acked.push(...out.ids);
        done.add(i);
      }
    };
    const publishing = publishAll(node.client).catch(() => {});
    // Mid-stream: publishing and consuming are both under way when the node dies.
    await eventually(async () => assert.ok((await countKeys(node.client, "seen/")) >= 1000), 60_000, 50);
    await kill9(node);
    await publishing;
    const killedAt = { published: acked.length, batchesLeft: batches.length - done.size };
    node = await up(dataDir);
    await publishAll(node.client);
    assert.equal(acked.length, opts.events);
    // Claims the dead node held come back once their visibility (timeout + margin) runs out.
    const seen = new Set<string>();
    await eventually(
      async () => {
        seen.clear();
        let cursor: string | undefined;
        do {
          const page = await node.client.listKvKeys("seen", {
            prefix: "seen/",
            limit: 1000,
            ...(cursor && { cursor }),
          });
          for (const k of page.keys) seen.add(k.name.slice("seen/".length));
          cursor = page.cursor ?? undefined;
        } while (cursor);
        const lost = acked.filter((id) => !seen.has(id)).length;
        assert.equal(lost, 0, `${lost} of ${opts.events} not processed yet`);
      },
      100_000,
      500,
    );
    const duplicates = await countKeys(node.client, "dup/");
    console.log(
      `crash test${opts.poison ? " (poison)" : ""}: ${opts.events} events, none lost; killed after ` +
        `${killedAt.published} were published (${killedAt.batchesLeft} batches left); ${seen.size} ids processed ` +
        `(events of a batch cut off by the kill may be committed too); ${duplicates} duplicate deliveries; ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    if (opts.poison) {
      const dead = await eventually(async () => {
        const d = await node.client.listDeadLetters("recorder");
        assert.equal(d.deadLetters.length, 1);
        return d.deadLetters[0];
      }, 30_000);
      assert.equal(dead?.eventId, poisonId);
      assert.ok((dead?.attempts ?? 0) >= 3, "the first delivery and maxRetries: 2 (a crash may add one)");
      assert.match(dead?.lastError ?? "", /retry/);
    } else {
      assert.deepEqual((await node.client.listDeadLetters("recorder")).deadLetters, []);
    }
  } finally {
    await kill9(node).catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe("crash safety", () => {
  it("5,000 events survive kill -9 mid-stream: every id processed at least once", async () => {
    await crashRun({ events: 5000, poison: false });
  });

  it("a poison message lands in the dead-letter list after maxRetries; the rest flow past it", async () => {
    await crashRun({ events: 2000, poison: true });
  });
});
