// A TCP load balancer for the cluster tests: round-robins connections over pave nodes, probes their /readyz every
// 200 ms and routes around nodes that are down or not ready, and on a refused connect tries the next node.
//
// Hand-written rather than nginx so the e2e tier needs nothing beyond PostgreSQL and starts in milliseconds; it does
// what docs/operations.md asks of a real load balancer (active /readyz checks, passive failover on connect errors),
// and docs/operations.md shows the nginx configuration for production.
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface Balancer {
  /** `http://127.0.0.1:PORT`, the balancer's own address. */
  url: string;
  /** The backends' current view: ready (passes /readyz) or not, in the order they were given. */
  ready(): boolean[];
  /** Connections handed to each backend so far. */
  connections(): number[];
  close(): Promise<void>;
}

export interface BalancerOptions {
  /** How often each backend's /readyz is probed. @default 200 */
  probeIntervalMs?: number;
  /** A probe that takes longer counts as not ready. @default 1000 */
  probeTimeoutMs?: number;
}

interface Backend {
  host: string;
  port: number;
  ready: boolean;
  connections: number;
}

/** Listens on a free loopback port and forwards every connection to one of `backends` (`http://host:port`). */
export async function startBalancer(backends: string[], opts: BalancerOptions = {}): Promise<Balancer> {
  const pool: Backend[] = backends.map((b) => {
    const u = new URL(b);
    return { host: u.hostname, port: Number(u.port), ready: true, connections: 0 };
  });
  const interval = opts.probeIntervalMs ?? 200;
  const probeTimeout = opts.probeTimeoutMs ?? 1000;
  let next = 0;
  const sockets = new Set<Socket>();

  const probe = async (b: Backend) => {
    try {
      const res = await fetch(`http://${b.host}:${b.port}/readyz`, { signal: AbortSignal.timeout(probeTimeout) });
      await res.arrayBuffer();
      b.ready = res.ok;
    } catch {
      b.ready = false;
    }
  };
  let probing = false;
  const timer = setInterval(() => {
    if (probing) return;
    probing = true;
    void Promise.all(pool.map(probe)).finally(() => {
      probing = false;
    });
  }, interval);

  /** Ready backends in round-robin order; when none is ready, all of them (a node's own 503 beats a hang-up). */
  const candidates = (): Backend[] => {
    const start = next++ % pool.length;
    const order = [...pool.slice(start), ...pool.slice(0, start)];
    const ready = order.filter((b) => b.ready);
    return ready.length > 0 ? ready : order;
  };

  const forward = (client: Socket, left: Backend[]) => {
    const b = left.shift();
    if (!b) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: b.host, port: b.port });
    sockets.add(upstream);
    let connected = false;
    upstream.once("connect", () => {
      connected = true;
      b.connections++;
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on("error", () => {
      if (connected) {
        client.destroy();
        return;
      }
      // Refused (the node is gone): passive health — out of rotation until its probe passes, and try the next.
      b.ready = false;
      forward(client, left);
    });
    upstream.once("close", () => {
      sockets.delete(upstream);
      if (connected) client.destroy();
    });
    client.once("close", () => upstream.destroy());
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    sockets.add(client);
    client.once("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    forward(client, candidates());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    ready: () => pool.map((b) => b.ready),
    connections: () => pool.map((b) => b.connections),
    close: async () => {
      clearInterval(timer);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
