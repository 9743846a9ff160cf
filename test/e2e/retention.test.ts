// Retention on a real server: activations past the age or count the node was started with disappear in the
// background, with their log lines; newer ones stay.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { deploySource, eventually, removeFunctionDirs, startTestServer, type TestServer } from "./helpers.ts";

describe("retention", () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ kvPurgeIntervalMs: 100, retention: { maxActivations: 3 } });
    await deploySource(
      t.client,
      "chatty",
      `export default { fetch() { console.log("hi"); return new Response("ok"); } };`,
    );
  });

  after(async () => {
    await t.close();
    await removeFunctionDirs();
  });

  it("keeps only the newest activations allowed, and their logs", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${t.server.url}/fn/chatty/`);
      await res.text();
      ids.push(res.headers.get("x-pave-activation-id") ?? "");
    }
    await eventually(async () => {
      const { activations } = await t.client.listActivations({ function: "chatty", limit: 100 });
      assert.deepEqual(
        activations.map((a) => a.id),
        ids.slice(-3).reverse(),
      );
    }, 5000);
    const { logs } = await t.client.logs({ function: "chatty", limit: 100 });
    assert.deepEqual(
      logs.map((l) => l.activationId),
      ids.slice(-3),
    );
  });
});
