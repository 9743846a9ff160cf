// ServerOptions.record = false (`pave up --no-record`), which only the recording-cost benchmark uses: invocations
// still run and answer, and nothing is recorded — the switch the figure depends on really switches recording off.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { deploySource, removeFunctionDirs, startTestServer, type TestServer } from "./helpers.ts";

describe("recording off", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ record: false });
    await deploySource(
      t.client,
      "quiet",
      `export default { fetch() { console.log("ran"); return new Response("ok"); } };`,
    );
  });
  after(async () => {
    await t.close();
    await removeFunctionDirs();
  });

  it("answers every request and records no activation, log line or metric", async () => {
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${t.server.url}/fn/quiet/`);
      assert.equal(await res.text(), "ok");
    }
    // The recorder writes within 50 ms; a second is ample for anything that would have been recorded to land.
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual((await t.client.listActivations({ function: "quiet" })).activations, []);
    assert.deepEqual((await t.client.logs({ function: "quiet" })).logs, []);
    const metrics = await (
      await fetch(`${t.server.url}/metrics`, { headers: { authorization: `Bearer ${t.server.adminToken}` } })
    ).text();
    assert.ok(!metrics.includes('function="quiet"'), "no series for the function");
  });
});
