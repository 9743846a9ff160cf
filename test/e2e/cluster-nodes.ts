// The cluster test's moving parts: `pave up` child processes on PostgreSQL (started, killed with SIGKILL) and a load
// loop through the balancer that retries on a failed connection, as a client of a load balancer would.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { eventually } from "./helpers.ts";

const BIN = fileURLToPath(new URL("../../bin/pave.js", import.meta.url));

export interface Node {
  url: string;
  /** Its data directory (the first node's holds the admin token); the caller removes it. */
  data: string;
  child: ChildProcess;
  /** The tail of its stderr, shown when it dies unexpectedly. */
  log: () => string;
}

/** Starts `pave up` on a fixed port (the balancer knows it) with its own data dir, and waits for /readyz. */
export async function up(store: string, masterKey: string): Promise<Node> {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), "pave-cluster-"));
  const child = spawn(
    process.execPath,
    ["--no-node-snapshot", BIN, "up", "--port", String(port), "--data", data, "--store", store, "--log-level", "warn"],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PAVE_CONFIG: join(data, "cli-config.json"),
        PAVE_MASTER_KEY: masterKey,
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let log = "";
  child.stderr?.on("data", (c: Buffer) => {
    log = (log + c.toString()).slice(-8000);
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`pave up exited with ${child.exitCode}:\n${log}`);
        assert.equal((await fetch(`${url}/readyz`)).status, 200);
      },
      60_000,
      100,
    );
  } catch (err) {
    // Not handed to the caller, so nobody else would stop it or remove its data.
    child.kill("SIGKILL");
    rmSync(data, { recursive: true, force: true });
    throw err;
  }
  return { url, data, child, log: () => log };
}

/** A port the OS hands out, freed for the node: the balancer needs to know it before the node listens. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function kill9(node: Node): Promise<void> {
  return new Promise((resolve) => {
    if (node.child.exitCode !== null || node.child.signalCode !== null) return resolve();
    node.child.once("exit", () => resolve());
    node.child.kill("SIGKILL");
  });
}

export const alive = (n: Node) => n.child.exitCode === null && n.child.signalCode === null;

/** What a load loop saw: HTTP answers, the ids of events whose publish answered 2xx, and the errors. */
export interface Load {
  okAt: number[];
  failed: number;
  /** Requests sent again on a new connection after their connection failed. */
  retried: number;
  accepted: string[];
  publishErrors: Map<string, number>;
  stop(): Promise<void>;
}

/**
 * Through the balancer: `http` loops GET /fn/hello/, `publishers` loops publish batches of 5 to `orders`. A request
 * that fails on the connection (the node died under it) is retried on a new connection, as a client of a load
 * balancer would; an error answer is counted and the loop goes on.
 */
export function startLoad(url: string, token: string, workers = { http: 3, publishers: 2 }): Load {
  const load: Load = { okAt: [], failed: 0, retried: 0, accepted: [], publishErrors: new Map(), stop: async () => {} };
  let stopped = false;
  const pause = () => new Promise((r) => setTimeout(r, 10));
  const send = async (path: string, init: RequestInit = {}): Promise<Response | undefined> => {
    for (let attempt = 0; attempt < 5 && !stopped; attempt++) {
      try {
        return await fetch(`${url}${path}`, { ...init, signal: AbortSignal.timeout(15_000) });
      } catch {
        load.retried++;
        await pause();
      }
    }
    return undefined;
  };
  const http = async () => {
    while (!stopped) {
      const res = await send("/fn/hello/");
      if (res?.ok && (await res.text()) === "hello") load.okAt.push(Date.now());
      else {
        await res?.arrayBuffer();
        load.failed++;
        await pause();
      }
    }
  };
  const publish = async () => {
    while (!stopped) {
      const res = await send("/api/v1/topics/orders/events?env=prod", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ events: Array.from({ length: 5 }, (_, i) => ({ data: { i } })) }),
      });
      if (res?.ok) {
        load.accepted.push(...((await res.json()) as { ids: string[] }).ids);
        continue;
      }
      const code = res ? ((await res.json().catch(() => ({}))) as { error?: { code?: string } }).error?.code : "";
      const key = res ? `${res.status} ${code ?? "?"}` : "no answer";
      load.publishErrors.set(key, (load.publishErrors.get(key) ?? 0) + 1);
      await pause();
    }
  };
  const running = Promise.all([
    ...Array.from({ length: workers.http }, http),
    ...Array.from({ length: workers.publishers }, publish),
  ]);
  load.stop = async () => {
    stopped = true;
    await running;
  };
  return load;
}
