// The metrics API on a real server: invocations (some failing, some slow, one cold) become per-minute rollups that
// GET /functions/:name/metrics and /metrics/summary read back — counts, percentiles, zero-filled aligned steps — and
// every malformed span or filter is refused with its code.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FunctionMetrics } from "../../src/client/index.ts";
import { DURATION_BOUNDS_MS } from "../../src/store/index.ts";
import { deploySource, eventually, removeFunctionDirs, startTestServer, type TestServer } from "./helpers.ts";

const PRICES = { perGbSecond: 0.001, perMillionRequests: 1000 };
const SOURCE = `export default {
  async fetch(request) {
    const url = new URL(request.url);
    const sleep = Number(url.searchParams.get("sleep") ?? 0);
    if (sleep) await new Promise((r) => setTimeout(r, sleep));
    if (url.searchParams.get("fail")) throw new Error("asked to fail");
    return new Response("ok");
  },
};`;

describe("function metrics", () => {
  let t: TestServer;
  let version: string;

  const call = async (query = "") => (await fetch(`${t.server.url}/fn/busy/${query}`)).text();
  const get = async (path: string) => {
    const res = await fetch(`${t.server.url}/api/v1${path}`, {
      headers: { authorization: `Bearer ${t.server.adminToken}` },
    });
    return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
  };

  before(async () => {
    // A short idle TTL: the instance the deploy started expires before the first call, which so starts cold.
    t = await startTestServer({ prices: PRICES, idleTtlMs: 400 });
    version = (await deploySource(t.client, "busy", SOURCE, { memory: 256, timeout: "5s" })).version.id;
    await deploySource(t.client, "idle", `export default { fetch: () => new Response("zz") };`);
    await eventually(() => assert.equal(t.server.runtime.stats().idle, 0), 15_000, 50);
    // 20 invocations: 14 fast, 4 failing, 2 that take over 60 ms.
    for (let i = 0; i < 14; i++) await call();
    for (let i = 0; i < 4; i++) await call("?fail=1");
    for (let i = 0; i < 2; i++) await call("?sleep=80");
    await eventually(async () => {
      assert.equal((await t.client.listActivations({ function: "busy", limit: 100 })).activations.length, 20);
    }, 15_000);
  });

  after(async () => {
    await t.close();
    await removeFunctionDirs();
  });

  it("sums the invocations as the activations record them: counts, errors, cold starts, percentiles, cost", async () => {
    const { activations } = await t.client.listActivations({ function: "busy", limit: 100 });
    const m = await t.client.functionMetrics("busy", { since: "10m", step: "1m" });
    assert.equal(m.total.count, 20);
    assert.equal(m.total.errors, 4);
    assert.equal(m.total.errorRate, 0.2);
    const cold = activations.filter((a) => a.cold).length;
    assert.ok(cold >= 1, "the first invocation started an instance");
    assert.equal(m.total.coldStarts, cold);
    assert.equal(m.total.throttles, 0);
    const gbSeconds = activations.reduce((s, a) => s + a.gbSeconds, 0);
    assert.ok(Math.abs(m.total.gbSeconds - gbSeconds) < 1e-9);
    assert.equal(
      m.total.billedMs,
      activations.reduce((s, a) => s + a.billedMs, 0),
    );
    assert.ok(
      Math.abs(m.total.cost - (gbSeconds * PRICES.perGbSecond + (20 / 1e6) * PRICES.perMillionRequests)) < 1e-12,
    );
    // Each estimate lies in the histogram bucket of the true percentile of the recorded durations; the two slow
    // calls (≥ 80 ms) are the top 10 %, so p99 is at least the 70 ms bound below theirs.
    const sorted = activations.map((a) => a.durationMs).sort((a, b) => a - b);
    for (const [q, estimate] of [
      [0.5, m.total.p50],
      [0.9, m.total.p90],
      [0.99, m.total.p99],
    ] as const) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1] as number;
      const i = DURATION_BOUNDS_MS.findIndex((b) => exact <= b);
      const [lower, upper] = [DURATION_BOUNDS_MS[i - 1] ?? 0, DURATION_BOUNDS_MS[i] ?? Number.POSITIVE_INFINITY];
      assert.ok(estimate !== null && estimate >= lower && estimate <= upper, `p${q * 100} ${estimate} vs ${exact}`);
    }
    const { p50, p90, p99, meanMs } = m.total;
    assert.ok((p50 as number) <= (p90 as number) && (p90 as number) <= (p99 as number));
    assert.ok((p99 as number) >= 70, `p99 ${p99}`);
    const mean = activations.reduce((s, a) => s + a.durationMs, 0) / 20;
    assert.ok(Math.abs((meanMs as number) - mean) < 1e-9);
    assert.deepEqual(m.prices, PRICES);
    assert.equal(m.version, null);
  });

  it("answers every step of the span, aligned, with the empty ones zeroed", async () => {
    const m = await t.client.functionMetrics("busy", { since: "10m", step: "1m" });
    assertAligned(m, 60_000);
    assert.ok(m.points.length === 10 || m.points.length === 11, `${m.points.length} points`);
    assert.equal(
      m.points.reduce((s, p) => s + p.count, 0),
      20,
    );
    const empty = m.points.filter((p) => p.count === 0);
    assert.ok(empty.length >= 8);
    for (const p of empty) {
      assert.deepEqual([p.errors, p.coldStarts, p.gbSeconds, p.cost, p.errorRate], [0, 0, 0, 0, 0]);
      assert.deepEqual([p.p50, p.p99, p.meanMs], [null, null, null], "no latency is claimed for an empty step");
    }

    const hourly = await t.client.functionMetrics("busy", { since: "6h", step: "1h" });
    assertAligned(hourly, 3_600_000);
    assert.ok(hourly.points.length === 6 || hourly.points.length === 7);
    assert.equal(hourly.total.count, 20);

    // No step: the finest that keeps a day under the point limit is one minute; a week needs 15.
    assert.equal((await t.client.functionMetrics("busy", { since: "1d" })).step, 60_000);
    assert.equal((await t.client.functionMetrics("busy", { since: "7d" })).step, 15 * 60_000);
  });

  it("narrows to one version, and to nothing for a version that never ran", async () => {
    const mine = await t.client.functionMetrics("busy", { since: "10m", version });
    assert.equal(mine.total.count, 20);
    assert.equal(mine.version, version);
    // A version deployed since, never invoked.
    const v2 = SOURCE.replace('"ok"', '"ok, v2"');
    const next = (await deploySource(t.client, "busy", v2, { memory: 256, timeout: "5s" })).version.id;
    assert.notEqual(next, version);
    const other = await t.client.functionMetrics("busy", { since: "10m", version: next });
    assert.equal(other.total.count, 0);
  });

  it("summarises every function in one answer, busiest first, idle ones at zero", async () => {
    const s = await t.client.metricsSummary({ window: "10m" });
    assert.deepEqual(
      s.functions.map((f) => f.function),
      ["busy", "idle"],
    );
    const [busy, idle] = s.functions;
    assert.ok(busy && idle);
    assert.equal(busy.count, 20);
    assert.equal(busy.errorRate, 0.2);
    assert.ok(busy.coldStarts >= 1 && busy.coldRate === busy.coldStarts / 20);
    const seconds = (s.until - s.since) / 1000;
    assert.ok(seconds > 600 && seconds <= 660, `window of ${seconds}s: 10 whole minutes plus the current one`);
    assert.ok(Math.abs(busy.requestsPerSecond - 20 / seconds) < 1e-9);
    assert.ok(Math.abs(busy.costPerHour - (busy.cost * 3600) / seconds) < 1e-12);
    assert.ok(busy.p50 !== null && busy.p99 !== null);
    assert.equal(idle.count, 0);
    assert.equal(idle.requestsPerSecond, 0);
    assert.equal(idle.p50, null);
  });

  it("refuses unknown filters and malformed spans, each precisely", async () => {
    const bad = async (query: string, code: string, message: RegExp, path = "/functions/busy/metrics") => {
      const res = await get(`${path}?${query}`);
      assert.equal(res.body.error.code, code, `${query}: ${res.body.error.message}`);
      assert.equal(res.status, code.endsWith("NotFound") ? 404 : 400);
      assert.match(res.body.error.message, message, query);
    };
    await bad("since=1h&colour=red", "BadRequest", /colour/);
    await bad("since=garbage", "BadRequest", /since: a duration like 1h or a date/);
    await bad("since=-1", "BadRequest", /since: a duration like 1h or a date/);
    await bad("until=yesterday", "BadRequest", /until: a duration like 1h or a date/);
    await bad("since=1h&until=2h", "BadRequest", /since: must be before until/);
    await bad("step=0", "BadRequest", /step: a step: a whole number with a unit/);
    await bad("step=0m", "BadRequest", /step: a step: a whole number of minutes \(at least 1m\)/);
    await bad("step=7s", "BadRequest", /step: a step: a whole number of minutes/);
    await bad("step=90s", "BadRequest", /step: a step: a whole number of minutes/);
    await bad("step=-1m", "BadRequest", /step: a step: a whole number with a unit/);
    await bad("step=1w", "BadRequest", /step: a step: a whole number with a unit/);
    await bad(
      "since=30d&step=1m",
      "BadRequest",
      /step: 4320[01] points; at most 1441 per query: use a step of at least 30m or a shorter span/,
    );
    await bad("version=NOT-HEX", "BadRequest", /version: a version id/);
    await bad("version=ffffffffffff", "VersionNotFound", /no version ffffffffffff of busy in prod/);
    await bad("env=nope", "EnvironmentNotFound", /no environment nope/, "/metrics/summary");
    await bad("since=1h", "FunctionNotFound", /no function ghost in environment prod/, "/functions/ghost/metrics");
    await bad("env=staging", "FunctionNotFound", /no function busy in environment staging/);
    await bad("window=0m", "BadRequest", /window: a window: a whole number of minutes/, "/metrics/summary");
    await bad("window=2d", "BadRequest", /window: a window: at most 1d/, "/metrics/summary");
    await bad("window=5m&function=busy", "BadRequest", /function/, "/metrics/summary");
  });
});

describe("rollup retention", () => {
  it("prunes rollups past their own age in the background while activations stay", async () => {
    const t = await startTestServer({ kvPurgeIntervalMs: 100, retention: { rollupMaxAgeMs: 1 } });
    try {
      await deploySource(t.client, "brief", `export default { fetch: () => new Response("ok") };`);
      await (await fetch(`${t.server.url}/fn/brief/`)).text();
      await eventually(async () => {
        assert.equal((await t.client.listActivations({ function: "brief" })).activations.length, 1);
      }, 15_000);
      // Every minute has started more than 1 ms ago by the next housekeeping tick: its rollup goes, the activation stays.
      await eventually(async () => {
        assert.equal((await t.client.functionMetrics("brief", { since: "10m" })).total.count, 0);
      }, 15_000);
      assert.equal((await t.client.listActivations({ function: "brief" })).activations.length, 1);
    } finally {
      await t.close();
      await removeFunctionDirs();
    }
  });
});

function assertAligned(m: FunctionMetrics, step: number): void {
  assert.equal(m.step, step);
  assert.equal(m.since % step, 0);
  assert.equal(m.until, m.since + m.points.length * step);
  m.points.forEach((p, i) => {
    assert.equal(p.start, m.since + i * step);
  });
}
