// The records of environments as the store keeps them: who made one, from what, until when, and what it holds.
// The environments domain (deploy/environments.ts) decides the rules; the store copies and deletes in one transaction.

/** An environment: a namespace of functions, aliases, data and secrets. `prod` is seeded and has no creator. */
export interface EnvironmentRecord {
  name: string;
  createdAt: number;
  /** The token name that created it; null for `prod` and for environments found in use when migration 012 ran. */
  createdBy: string | null;
  /** The environment its function versions and config were copied from, if any. */
  from: string | null;
  /** Epoch ms after which housekeeping tears it down; null keeps it until removed. */
  expiresAt: number | null;
}

/** What one environment holds; `empty` when all of it is zero. */
export interface EnvironmentContents {
  functions: number;
  kvEntries: number;
  secrets: number;
  topics: number;
  schedules: number;
}

/** What `createEnvironment` copied from its source: config, never data. */
export interface EnvironmentCopy {
  functions: number;
  versions: number;
  aliases: number;
  schedules: number;
  topics: number;
}

/** A function's invocations as the per-minute rollups remember them (kept longer than activations). */
export interface FunctionActivity {
  function: string;
  /** Start of the last minute with an invocation, within rollup retention; null when none is remembered. */
  lastInvokedAt: number | null;
  /** Invocations and billed GB-seconds in minutes starting at or after the `since` asked for. */
  invocations: number;
  gbSeconds: number;
}
