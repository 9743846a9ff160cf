// What nodes sharing one database tell each other: a change is a small note that something they cache (routes,
// instances, schedules, throttles, tokens) is stale. Applying one only invalidates, so hearing it twice is harmless.
import type { Logger } from "../logger.ts";

/** One change a node made, as the other nodes hear it. Names, never values: a secret's value is not in here. */
export type Change =
  /** A deploy, promote, rollback, traffic or canary step moved an alias of the function. */
  | { kind: "alias"; env: string; function: string }
  /** The function was removed (alone, with its environment, or expired). */
  | { kind: "function-removed"; env: string; function: string }
  /** The function was paused or resumed; `queues` are woken on a resume. */
  | { kind: "pause"; env: string; function: string; queues: string[] }
  /** A secret was set or removed: instances holding its old value must go. */
  | { kind: "secret"; env: string; secret: string }
  /** An environment was created (maybe as a copy holding functions with schedules and minInstances). */
  | { kind: "environment-created"; env: string }
  /** The environment's policy changed: budget throttles may have too. */
  | { kind: "policy"; env: string }
  /** Budget throttles were added or released. */
  | { kind: "budget" }
  /** A token was revoked (by the SHA-256 hash it is stored and cached under). */
  | { kind: "token"; hash: string };

/** Hears and tells changes. On SQLite there is one node and nothing to hear. */
export interface ChangeFeed {
  /** How changes arrive now: `local` (one node), `listening` (LISTEN/NOTIFY) or `polling` (the fallback). */
  readonly mode: "local" | "listening" | "polling";
  /** Catches up from now on: changes announced before `start` are already in what this node reads fresh. */
  start(): Promise<void>;
  /** Tells the other nodes. Never rejects: a failure is logged, and the nodes' own revalidation still catches up. */
  announce(change: Change): Promise<void>;
  /** Called for each change another node announced, in order; this node's own are not repeated to it. */
  subscribe(handler: (change: Change) => Promise<void>): void;
  close(): Promise<void>;
}

/** Which node runs the cluster-wide work (the scheduler, housekeeping): one at a time, taken over when it dies. */
export interface LeaderLock {
  readonly leading: boolean;
  /** Called when this node takes or loses the lead; a lost database session loses it at once. */
  onChange(handler: (leading: boolean) => void): void;
  start(): void;
  /** Gives the lead up (another node takes it within its retry interval). */
  close(): Promise<void>;
}

export interface ClusterOptions {
  /** This node's id, stamped on what it announces. */
  node: string;
  logger: Logger;
  /**
   * Poll the change log instead of listening: for PgBouncer in transaction mode, where LISTEN is accepted but
   * nothing is ever heard. @default false
   */
  poll?: boolean;
  /** How often the change log is read while not listening. @default 500 */
  pollIntervalMs?: number;
  /** How often a node that does not lead tries to take the lead. @default 1000 */
  leaderRetryMs?: number;
}

/** This node's place among the nodes sharing the store. */
export interface Cluster {
  changes: ChangeFeed;
  leader: LeaderLock;
}
