// Schedules on real servers (real isolates, real SQLite): ticks fire as activations with trigger `schedule` and the
// event of each handler style; overlap and missed-run policies; one fire per tick with two nodes on one store.
// All but the first test drive the scheduler with a FakeClock, so no test sleeps through cron periods.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ApiError, type PaveClient } from "../../src/client/index.ts";
import { type LogLine, openStore } from "../../src/store/index.ts";
import { FakeClock } from "../triggers/fake-clock.ts";
import { eventually, removeFunctionDirs, startTestServer, type TestServer, writeFunction } from "./helpers.ts";

after(removeFunctionDirs);

/** A whole minute, so `* * * * * *` ticks fall on T0 + n seconds. */
const T0 = Date.UTC(2030, 0, 1, 0, 0, 0);

/** Writes the handler's event as one log line, parsed back by `events`. */
const WEB_LOGGER = `export default {
  async scheduled(event, env, ctx) {
    console.log(JSON.stringify({ ...event, noRetry: typeof event.noRetry }));
    event.noRetry();
  },
};`;

async function deploy(client: PaveClient, name: string, schedule: string, source = WEB_LOGGER, timeout = "2s") {
  const yaml = `name: ${name}\nentry: src/index.ts\ntimeout: ${timeout}\nschedule: ${schedule}\n`;
  return client.deploy(await writeFunction({ "pave.yaml": yaml, "src/index.ts": source }));
}

/** The scheduled runs of `fn` recorded so far, oldest first. */
async function scheduled(client: PaveClient, fn: string) {
  const { activations } = await client.listActivations({ function: fn, trigger: "schedule", limit: 100 });
  return activations.reverse();
}

/** The events the handler logged, oldest first. */
async function events(client: PaveClient, fn: string): Promise<Record<string, unknown>[]> {
  const { logs } = await client.logs({ function: fn, limit: 1000 });
  return logs.map((l: LogLine) => JSON.parse(l.message) as Record<string, unknown>);
}

/** Lets the recorders commit what they hold (they batch for 50 ms), so a count read next is final. */
const flushed = () => new Promise((r) => setTimeout(r, 200));

/** Moves the clock on and waits until every server has claimed, run and handed over what became due. */
async function step(clock: FakeClock, servers: TestServer[], ms: number): Promise<void> {
  clock.advance(ms);
  await Promise.all(servers.map((s) => s.server.scheduler.settled()));
}

function fakeServer(clock: FakeClock, dataDir?: string) {
  // Reloads only on deploys and removals (and when a test asks), so the only timers are ticks.
  return startTestServer({
    ...(dataDir && { dataDir }),
    scheduler: { clock, reloadIntervalMs: 1e12 },
  });
}

describe("schedules", () => {
  it("fires a web-style scheduled() every second on the real clock, each an activation with trigger schedule", async () => {
    const t = await startTestServer();
    try {
      await deploy(t.client, "tick", '"* * * * * *"');
      const runs = await eventually(async () => {
        const r = await scheduled(t.client, "tick");
        assert.ok(r.length >= 2, `${r.length} runs so far`);
        return r;
      }, 5000);
      for (const a of runs) {
        assert.equal(a.trigger, "schedule");
        assert.equal(a.status, "success", a.errorMessage ?? "");
        assert.equal(a.httpStatus, null);
      }
      const [first, second] = await events(t.client, "tick");
      assert.equal(first?.type, "scheduled");
      assert.equal(first?.cron, "* * * * * *");
      assert.equal(first?.noRetry, "function");
      assert.equal((first?.scheduledTime as number) % 1000, 0, "a tick falls on a whole second");
      assert.equal((second?.scheduledTime as number) - (first?.scheduledTime as number), 1000);
      const { schedules } = await t.client.listSchedules();
      assert.equal(schedules.length, 1);
      assert.equal(schedules[0]?.function, "tick");
      assert.equal(schedules[0]?.timezone, "UTC");
      assert.ok((schedules[0]?.nextFireAt ?? 0) > Date.now() - 1000);
      assert.ok(schedules[0]?.lastFiredAt);
    } finally {
      await t.close();
    }
  });

  it("hands a Lambda-style handler an EventBridge Scheduled Event; a missing scheduled() is an InvalidHandler run", async () => {
    const clock = new FakeClock(T0);
    const t = await fakeServer(clock);
    try {
      await deploy(
        t.client,
        "aws",
        '{ cron: "*/5 * * * *", timezone: Europe/Berlin }',
        "export const handler = async (event, context) => { console.log(JSON.stringify(event)); };",
      );
      await deploy(t.client, "web-only", '"* * * * *"', "export default { fetch: () => new Response('hi') };");
      await step(clock, [t], 5 * 60_000);
      const [run] = await eventually(async () => {
        const r = await scheduled(t.client, "aws");
        assert.equal(r.length, 1);
        return r;
      });
      assert.equal(run?.status, "success", run?.errorMessage ?? "");
      assert.deepEqual((await events(t.client, "aws"))[0], {
        version: "0",
        id: run?.id,
        "detail-type": "Scheduled Event",
        source: "aws.events",
        account: "000000000000",
        time: "2030-01-01T00:05:00Z",
        region: "local",
        resources: ["arn:pave:events:local:000000000000:rule/prod/aws"],
        detail: {},
      });
      const missing = await eventually(async () => {
        const r = await scheduled(t.client, "web-only");
        assert.equal(r.length, 5);
        return r;
      });
      assert.equal(missing[0]?.errorCode, "InvalidHandler");
      assert.match(missing[0]?.errorMessage ?? "", /no scheduled\(event, env, ctx\)/);
      const web = (await t.client.listSchedules()).schedules.find((s) => s.function === "web-only");
      assert.equal(web?.lastStatus, "error");
    } finally {
      await t.close();
    }
  });

  it("overlap skip: a tick while the previous run is going is skipped and counted; the next one fires", async () => {
    const clock = new FakeClock(T0);
    const t = await fakeServer(clock);
    try {
      const slow = `export default { async scheduled(event) {
        console.log(JSON.stringify({ scheduledTime: event.scheduledTime }));
        await new Promise((r) => setTimeout(r, 300));
      } };`;
      await deploy(t.client, "slow", '"* * * * * *"', slow);
      clock.advance(1000);
      await eventually(async () => {
        const [s] = (await t.client.listSchedules()).schedules;
        assert.equal(s?.lastStatus, "running");
      });
      await step(clock, [t], 1000);
      await step(clock, [t], 1000);
      const times = await eventually(async () => {
        const e = await events(t.client, "slow");
        assert.equal(e.length, 2);
        return e.map((x) => x.scheduledTime);
      });
      assert.deepEqual(times, [T0 + 1000, T0 + 3000]);
      await flushed();
      assert.equal((await scheduled(t.client, "slow")).length, 2);
      const res = await fetch(`${t.server.url}/metrics`, {
        headers: { authorization: `Bearer ${t.server.adminToken}` },
      });
      assert.match(await res.text(), /pave_schedule_skips_total\{env="prod",function="slow",reason="overlap"\} 1/);
    } finally {
      await t.close();
    }
  });

  it("after downtime, missed ticks run once (missed: run-once) or are skipped (missed: skip)", async () => {
    const clock = new FakeClock(T0);
    const dataDir = mkdtempSync(join(tmpdir(), "pave-e2e-"));
    const first = await fakeServer(clock, dataDir);
    await deploy(first.client, "once", '{ cron: "* * * * *", missed: run-once }');
    await deploy(first.client, "skip", '{ cron: "* * * * *", missed: skip }');
    await step(clock, [first], 60_000);
    await first.server.close();

    // Ten and a half minutes later, another start on the same data.
    clock.set(T0 + 10.5 * 60_000);
    const second = await fakeServer(clock, dataDir);
    try {
      await step(clock, [second], 0);
      await step(clock, [second], 30_000);
      const once = await eventually(async () => {
        const e = await events(second.client, "once");
        assert.equal(e.length, 3);
        return e.map((x) => x.scheduledTime);
      });
      assert.deepEqual(once, [T0 + 60_000, T0 + 10 * 60_000, T0 + 11 * 60_000]);
      const skipped = await eventually(async () => {
        const e = await events(second.client, "skip");
        assert.equal(e.length, 2);
        return e.map((x) => x.scheduledTime);
      });
      assert.deepEqual(skipped, [T0 + 60_000, T0 + 11 * 60_000]);
    } finally {
      await second.close();
    }
  });

  it("two nodes on one SQLite file fire each tick exactly once", async () => {
    const clock = new FakeClock(T0);
    const a = await fakeServer(clock);
    const b = await fakeServer(clock, a.server.dataDir);
    try {
      // overlap allow: only the claim's compare-and-set, not a run's lease, stands between the nodes.
      await deploy(a.client, "both", '{ cron: "* * * * * *", overlap: allow }');
      await b.server.scheduler.reload();
      for (let i = 0; i < 5; i++) await step(clock, [a, b], 1000);
    } finally {
      // Closing commits what each node recorded; then the file tells the whole story.
      await b.server.close();
      await a.server.close();
    }
    const store = await openStore(join(a.server.dataDir, "pave.db"));
    try {
      const runs = await store.listActivations({ env: "prod", function: "both", trigger: "schedule", limit: 100 });
      assert.equal(runs.length, 5);
      const logs = await store.listLogs({ env: "prod", function: "both", limit: 100 });
      assert.deepEqual(
        logs.map((l) => (JSON.parse(l.message) as { scheduledTime: number }).scheduledTime),
        [1, 2, 3, 4, 5].map((s) => T0 + s * 1000),
      );
    } finally {
      await store.close();
      await a.close();
    }
  });

  it("a redeploy with a new cron takes effect at once; removing the function stops its schedule", async () => {
    const clock = new FakeClock(T0);
    const t = await fakeServer(clock);
    try {
      await deploy(t.client, "moving", '"*/10 * * * * *"');
      await step(clock, [t], 10_000);
      await deploy(t.client, "moving", '"*/3 * * * * *"');
      await step(clock, [t], 2000);
      const times = await eventually(async () => {
        const e = await events(t.client, "moving");
        assert.equal(e.length, 2);
        return e.map((x) => x.scheduledTime);
      });
      assert.deepEqual(times, [T0 + 10_000, T0 + 12_000]);
      await t.client.deleteFunction("moving");
      await step(clock, [t], 60_000);
      await flushed();
      assert.deepEqual((await t.client.listSchedules()).schedules, []);
      assert.equal((await scheduled(t.client, "moving")).length, 2);
    } finally {
      await t.close();
    }
  });

  it("refuses an invalid cron or time zone at deploy, naming schedule.cron / schedule.timezone", async () => {
    const t = await startTestServer();
    try {
      const manifest = (schedule: unknown) => ({ name: "bad", entry: "src/index.ts", schedule });
      const bundle = "globalThis.__pave_module = { default: { scheduled() {} } };";
      const refused = async (schedule: unknown) => {
        const err = await t.client.deployBundle(manifest(schedule), bundle).then(
          () => assert.fail("deployed"),
          (e: unknown) => e,
        );
        assert.ok(err instanceof ApiError && err.code === "InvalidManifest", String(err));
        return err.message;
      };
      assert.match(
        await refused("61 * * * *"),
        /^manifest: schedule\.cron: expected a cron expression \(Invalid value for minute: 61\)/,
      );
      assert.match(await refused({ cron: "* * * * *", timezone: "Mars/Olympus" }), /^manifest: schedule\.timezone: /);
      // The CLI's local check says the same, with the line.
      const dir = await writeFunction({ "pave.yaml": 'name: bad\nschedule: "* * *"\n', "src/index.ts": "" });
      await assert.rejects(t.client.deploy(dir), /pave\.yaml:2: schedule\.cron: /);
    } finally {
      await t.close();
    }
  });
});
