// Stopping a server that has a `pave logs --follow` stream open: the stream ends and close() returns, instead of
// the old process lingering (and serving) until the follower gives up.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startTestServer } from "./helpers.ts";

test("close() ends open log streams and returns promptly", async () => {
  const t = await startTestServer();
  const follower = new AbortController();
  const reconnects: unknown[] = [];
  const following = t.client.followLogs(
    // Every line of the environment: none come, and the stream stays open.
    {},
    () => {},
    follower.signal,
    (err) => reconnects.push(err),
  );
  try {
    // Let the stream open before stopping the server.
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    // Race close() against a deadline, so a regression fails here instead of hanging the suite.
    const took = await Promise.race([
      t.close().then(() => Date.now() - started),
      new Promise<number>((r) => setTimeout(() => r(Number.POSITIVE_INFINITY), 3000).unref()),
    ]);
    assert.ok(took < 2000, `close() took ${took} ms with a follower attached`);
    // The stream ended, so the follower tries to reconnect (as after a restart) and finds the server gone.
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(reconnects.length >= 1, "the follower never noticed the server stopping");
  } finally {
    follower.abort();
    await following;
  }
});
