// The warm pool wired through a real server: a deploy's minInstances are warm before the deploy answers, a deploy
// whose minInstances cannot fit the memory budget is refused, a new version releases the old one's, a restart
// brings them back, and an invocation with no room left answers 503 CapacityExceeded.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { ApiError } from "../../src/client/index.ts";
import { createLogger } from "../../src/logger.ts";
import type { VersionStats } from "../../src/runtime/index.ts";
import { startServer } from "../../src/server.ts";
import { deploySource, removeFunctionDirs, startTestServer } from "./helpers.ts";

after(removeFunctionDirs);

const SLEEPY = `export default {
  async fetch(request: Request) {
    const ms = Number(new URL(request.url).searchParams.get("ms") ?? 0);
    await new Promise((r) => setTimeout(r, ms));
    return new Response("ok");
  },
};\n`;

function of(stats: { versions: VersionStats[] }, fn: string): string[] {
  return stats.versions
    .filter((v) => v.function === fn)
    .map((v) => `${v.version}: ${v.idle}+${v.busy}${v.minInstances ? ` min ${v.minInstances}` : ""}`);
}

async function apiError(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the call to fail");
}

describe("warm pool", () => {
  it("keeps minInstances warm from deploy to restart, within the memory budget", async () => {
    const t = await startTestServer({ memoryBudgetMb: 256 });
    try {
      const { runtime } = t.server;
      const v1 = await deploySource(t.client, "warm", SLEEPY, { memory: 64, minInstances: 2 });
      assert.deepEqual(of(runtime.stats(), "warm"), [`${v1.version.id}: 2+0 min 2`]);
      const cold = runtime.stats().coldStarts;
      const answers = await Promise.all([1, 2].map(() => fetch(`${t.server.url}/fn/warm/?ms=50`)));
      assert.deepEqual(
        answers.map((r) => r.status),
        [200, 200],
      );
      assert.equal(runtime.stats().coldStarts, cold, "the first requests after the deploy start warm");

      // 2 × 64 MB are held for `warm`; 3 × 64 more would pass the 256 MB budget.
      const refused = await apiError(deploySource(t.client, "greedy", SLEEPY, { memory: 64, minInstances: 3 }));
      assert.equal(refused.code, "CapacityExceeded");
      assert.equal(refused.status, 503);
      assert.match(refused.message, /need 192 MB, and other functions' minInstances already hold 128 MB/);
      assert.match(refused.message, /the memory budget is 256 MB/);

      // A new version takes the floor over; the old one's instances go.
      const v2 = await deploySource(t.client, "warm", SLEEPY, { memory: 64, minInstances: 3 });
      assert.deepEqual(of(runtime.stats(), "warm"), [`${v2.version.id}: 3+0 min 3`]);

      const dataDir = t.server.dataDir;
      await t.server.close();
      const again = await startServer({ host: "127.0.0.1", port: 0, dataDir, logger: createLogger("silent") });
      try {
        assert.deepEqual(of(again.runtime.stats(), "warm"), [`${v2.version.id}: 3+0 min 3`], "warm after a restart");
      } finally {
        await again.close();
      }
    } finally {
      await t.close();
    }
  });

  it("answers 503 CapacityExceeded when no instance can be evicted for a cold start", async () => {
    const t = await startTestServer({ memoryBudgetMb: 128 });
    try {
      await deploySource(t.client, "one", SLEEPY, { memory: 64, timeout: "5s" });
      await deploySource(t.client, "two", SLEEPY, { memory: 64, timeout: "5s" });
      await deploySource(t.client, "three", SLEEPY, { memory: 64, timeout: "5s" });
      // Deploying three evicted one's idle instance; keep two and three busy.
      const busy = [fetch(`${t.server.url}/fn/two/?ms=1000`), fetch(`${t.server.url}/fn/three/?ms=1000`)];
      const { runtime } = t.server;
      for (let i = 0; runtime.stats().busy < 2 && i < 500; i++) await new Promise((r) => setTimeout(r, 5));
      const res = await fetch(`${t.server.url}/fn/one/`);
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "CapacityExceeded");
      assert.deepEqual(
        (await Promise.all(busy)).map((r) => r.status),
        [200, 200],
      );
      assert.equal((await fetch(`${t.server.url}/fn/one/`)).status, 200, "served once the others are idle");
    } finally {
      await t.close();
    }
  });
});
