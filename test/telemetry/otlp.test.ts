// The OTLP export's behaviour when the collector is slow or down: one sending loop at a time however often it is
// asked to flush, a shutdown that waits a bounded time, and spans dropped at a full queue said in the log.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Logger } from "../../src/logger.ts";
import type { Span } from "../../src/store/index.ts";
import { OtlpExport } from "../../src/telemetry/index.ts";

const span = (i: number): Span => ({
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  spanId: i.toString(16).padStart(16, "0"),
  parentSpanId: null,
  name: "GET /fn/x",
  kind: "server",
  startedAt: 1_700_000_000_000 + i,
  durationMs: 1,
  status: "ok",
  statusMessage: null,
  attributes: {},
  activationId: "act",
  env: "prod",
  function: "x",
});

/** What the export logs, by message. */
function recording(): { logger: Logger; warned: { fields: Record<string, unknown>; message: string }[] } {
  const warned: { fields: Record<string, unknown>; message: string }[] = [];
  const logger = {
    warn: (fields: Record<string, unknown>, message: string) => warned.push({ fields, message }),
    error: () => {},
    info: () => {},
  } as unknown as Logger;
  return { logger, warned };
}

describe("OTLP export, collector hanging", () => {
  // A collector that takes each request and never answers.
  let hanging: Server;
  let url: string;
  const sockets = new Set<Socket>();
  let requests = 0;
  before(async () => {
    hanging = createServer(() => {
      requests++;
    });
    hanging.on("connection", (s: Socket) => sockets.add(s));
    hanging.listen(0, "127.0.0.1");
    await once(hanging, "listening");
    url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
  });
  after(() => {
    for (const s of sockets) s.destroy();
    hanging.close();
  });

  it("keeps one sending loop however often it is asked to flush", async () => {
    const { logger } = recording();
    const otlp = new OtlpExport(
      { endpoint: url, maxBatch: 2, delayMs: 60_000, timeoutMs: 60_000, version: "t", shutdownMs: 200 },
      logger,
    );
    otlp.add([span(1), span(2)]);
    const sending = otlp.flush();
    // Every add past a batch asks for a flush: each used to chain a loop of its own behind the one waiting.
    for (let i = 0; i < 1000; i++) {
      otlp.add([span(3)]);
      assert.equal(otlp.flush(), sending);
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(requests, 1, "one request under way, the rest waiting in the queue");
    await otlp.shutdown();
  });

  it("waits at most shutdownMs on a clean shutdown, then counts and logs what it could not send", async () => {
    const { logger, warned } = recording();
    const otlp = new OtlpExport(
      { endpoint: url, maxBatch: 2, delayMs: 60_000, timeoutMs: 60_000, version: "t", shutdownMs: 300 },
      logger,
    );
    otlp.add([span(1), span(2), span(3), span(4), span(5)]);
    const started = Date.now();
    await otlp.shutdown();
    assert.ok(Date.now() - started < 2000, `shutdown took ${Date.now() - started} ms`);
    // The first batch is still on the wire; the three behind it are given up.
    assert.equal(otlp.failed, 3);
    assert.match(warned.at(-1)?.message ?? "", /did not take the last spans within 300 ms/);
    assert.equal(warned.at(-1)?.fields.unsent, 3);
  });
});

describe("OTLP export, queue full", () => {
  it("drops what does not fit, counts it, and says so in the log, not once a span", () => {
    const { logger, warned } = recording();
    const otlp = new OtlpExport(
      { endpoint: "http://127.0.0.1:1", maxQueue: 3, maxBatch: 100, delayMs: 60_000, version: "t" },
      logger,
    );
    otlp.add([span(1), span(2), span(3), span(4), span(5)]);
    otlp.add([span(6), span(7)]);
    assert.equal(otlp.dropped, 4);
    assert.equal(warned.length, 1);
    assert.match(warned[0]?.message ?? "", /queue is full/);
    assert.equal(warned[0]?.fields.dropped, 2);
  });
});
