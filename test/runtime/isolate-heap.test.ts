// The young generation a --max-semi-space-size gives the host's heap (bin/pave.js) must not reach function isolates:
// each keeps the one isolated-vm sizes from its memory limit (runtime/isolate-heap.ts).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const PROBE = fileURLToPath(new URL("./isolate-heap-probe.ts", import.meta.url));
const MB = 1024 * 1024;

/** The largest heap the probe's isolate reached, in MB, in a Node started with `flags`. */
async function largestHeap(flags: string[], how: "pave" | "raw"): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    "--no-node-snapshot",
    ...flags,
    "--import",
    "tsx",
    PROBE,
    how,
  ]);
  return Number(stdout.trim()) / MB;
}

describe("isolate heap", () => {
  it("keeps isolated-vm's young generation when Node is given a larger one for the host", async () => {
    const [plain, flagged, bare] = await Promise.all([
      largestHeap([], "pave"),
      largestHeap(["--max-semi-space-size=32"], "pave"),
      largestHeap(["--max-semi-space-size=32"], "raw"),
    ]);
    // Without newIsolate the flag reaches the isolate and its heap grows far larger: the case this guards against.
    assert.ok(bare > plain + 25, `an isolate made directly under the flag: ${bare} MB, without it ${plain} MB`);
    assert.ok(Math.abs(flagged - plain) < 12, `newIsolate under the flag: ${flagged} MB, without it ${plain} MB`);
  });
});
