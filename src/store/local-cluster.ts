// The cluster of one: on SQLite a single node owns the store, so it always leads and has nobody to tell. The node
// that makes a change applies it itself before announcing, so announcing here has nothing left to do.
import type { ChangeFeed, Cluster, LeaderLock } from "./change-types.ts";

class LocalChangeFeed implements ChangeFeed {
  readonly mode = "local";
  async start(): Promise<void> {}
  async announce(): Promise<void> {}
  subscribe(): void {}
  async close(): Promise<void> {}
}

class SoleLeader implements LeaderLock {
  readonly leading = true;
  onChange(): void {}
  start(): void {}
  async close(): Promise<void> {}
}

export function localCluster(): Cluster {
  return { changes: new LocalChangeFeed(), leader: new SoleLeader() };
}
