// Several real pave nodes on one throwaway PostgreSQL database, as in production: each with its own data directory
// and the same master key, all driven with the first node's admin token. Plus a log of the changes a node applied.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { PaveClient } from "../../src/client/index.ts";
import type { ServerOptions } from "../../src/server.ts";
import type { Change } from "../../src/store/index.ts";
import { type PgCluster, startPgCluster } from "../store/pg-cluster.ts";
import { startTestServer, type TestServer } from "./helpers.ts";

/** The bound the issue sets on a change reaching every node, plus a little for one request on a busy 2-core machine. */
export const BOUND_MS = 1000;
export const SLACK_MS = 100;

/** A function that answers with its version's name, to see which version a node serves. */
export const version = (v: string) => `export default { fetch: () => new Response("${v}") };`;

export interface PgNodes {
  cluster: PgCluster;
  /** A superuser pool on the `postgres` database: terminate backends, look at pg_stat_activity. */
  admin: pg.Pool;
  /** The store URL every node shares. */
  url: string;
  nodes: TestServer[];
  /** Starts one more node on the same database (e.g. after closing one). */
  add(extra?: NodeOptions): Promise<TestServer>;
  close(): Promise<void>;
}

type NodeOptions = Omit<ServerOptions, "host" | "port" | "logger" | "store" | "env">;

export async function startPgNodes(count: number, options: NodeOptions = {}): Promise<PgNodes> {
  const cluster = await startPgCluster();
  const admin = new pg.Pool({ connectionString: cluster.url("postgres"), max: 2 });
  await admin.query("CREATE DATABASE pave");
  const url = cluster.url("pave");
  const env = { PAVE_MASTER_KEY: randomBytes(32).toString("base64") };
  const nodes: TestServer[] = [];
  let token: string | undefined;
  const add = async (extra: NodeOptions = {}) => {
    // One at a time: the first creates the admin token, the others find it in the database.
    const t = await startTestServer({ ...options, ...extra, store: url, env });
    token ??= t.server.adminToken;
    const node = { ...t, client: new PaveClient({ url: t.server.url, token }) };
    nodes.push(node);
    return node;
  };
  for (let i = 0; i < count; i++) await add();
  return {
    cluster,
    admin,
    url,
    nodes,
    add,
    close: async () => {
      await Promise.allSettled(nodes.map((n) => n.close()));
      await admin.end();
      await cluster.stop();
    },
  };
}

/** The changes a node applied from other nodes, with when: start it before making the change you wait for. */
export class HeardChanges {
  readonly #heard: { change: Change; at: number }[] = [];
  readonly #waiters = new Set<() => void>();

  constructor(node: TestServer) {
    node.server.cluster.changes.subscribe(async (change) => {
      // Handlers run in order after the server's own: when this runs, the node has applied the change.
      this.#heard.push({ change, at: Date.now() });
      for (const w of this.#waiters) w();
    });
  }

  /** Resolves with the time the first change matching `match` was applied (waits up to `timeoutMs`). */
  async when(match: (c: Change) => boolean, timeoutMs = 5000): Promise<number> {
    const found = () => this.#heard.find((h) => match(h.change));
    return new Promise<number>((resolve, reject) => {
      const check = () => {
        const h = found();
        if (!h) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(h.at);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no matching change applied within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Forgets what was heard, so the next `when` waits for a new change. */
  clear(): void {
    this.#heard.length = 0;
  }
}
