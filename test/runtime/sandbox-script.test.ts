// The sandbox script's code cache is taken after a warm-up (setup and one invocation in a throwaway isolate), so it
// holds the compiled boot and first-invocation paths. If the warm-up broke (say, a new __pave_setup parameter with
// no stand-in), the cache would silently shrink to what the top level compiles, and cold starts would compile again.
import assert from "node:assert/strict";
import { test } from "node:test";
import ivm from "isolated-vm";
import { sandboxScript } from "../../src/runtime/sandbox-script.ts";

type CachedScript = ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer>; cachedDataRejected?: boolean };

test("the code cache holds what the warm-up compiled, and new isolates accept it", async () => {
  const { code, cachedData } = await sandboxScript();
  assert.ok(cachedData, "a code cache was produced");
  // The same recipe without the warm-up: evaluate the sandbox, compile again, take the cache.
  const isolate = new ivm.Isolate({ memoryLimit: 32 });
  let topLevelOnly: number;
  try {
    const context = await isolate.createContext();
    await (await isolate.compileScript(code, { filename: "pave:sandbox" })).run(context);
    const again: CachedScript = await isolate.compileScript(code, {
      filename: "pave:sandbox",
      produceCachedData: true,
    });
    topLevelOnly = again.cachedData?.copy().byteLength ?? 0;
  } finally {
    isolate.dispose();
  }
  const warm = cachedData.copy().byteLength;
  // The warm-up compiles Request, Response, Headers, bodies and dispatch: about 40% more bytecode than the top level.
  assert.ok(warm > topLevelOnly * 1.25, `warm cache ${warm} bytes vs ${topLevelOnly} without the warm-up`);

  const fresh = new ivm.Isolate({ memoryLimit: 32 });
  try {
    const script: CachedScript = await fresh.compileScript(code, { filename: "pave:sandbox", cachedData });
    assert.equal(script.cachedDataRejected, false);
  } finally {
    fresh.dispose();
  }
});
