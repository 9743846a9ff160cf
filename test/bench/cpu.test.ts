import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cpuPerRequest, cpuSnapshot } from "../../bench/cpu.ts";

describe("bench CPU per request", () => {
  it("reads this process's threads from /proc and divides what they spent by the requests", () => {
    const before = cpuSnapshot(process.pid);
    assert.ok(before && before.size >= 1, "one entry per thread");
    assert.ok(before.has(String(process.pid)), "the main thread's id is the process id");
    const until = performance.now() + 300;
    while (performance.now() < until) {}
    const figures = cpuPerRequest(before, cpuSnapshot(process.pid), 1000);
    assert.ok(figures);
    // Up to 300 ms of this thread (less when a busy machine took the core away) over 1000 requests: ~300 µs each.
    assert.ok(figures.busiestThreadUs >= 100 && figures.busiestThreadUs <= 2000, `${figures.busiestThreadUs}`);
    assert.ok(figures.allThreadsUs >= figures.busiestThreadUs);
  });

  it("gives nothing where there is nothing to read or nothing was served", () => {
    assert.equal(cpuSnapshot(undefined), undefined);
    assert.equal(cpuSnapshot(2 ** 30), undefined, "no such process");
    const now = cpuSnapshot(process.pid);
    assert.equal(cpuPerRequest(now, now, 0), undefined);
    assert.equal(cpuPerRequest(undefined, now, 10), undefined);
  });
});
