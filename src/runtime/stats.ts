// What the pool reports about itself, for `Runtime.stats()` and the /metrics endpoint: instances, invocations,
// memory against the budget, and the events (cold starts, evictions, expirations, refusals) counted since start.

export interface VersionStats {
  env: string;
  function: string;
  version: string;
  memoryMb: number;
  idle: number;
  /** Instances holding an invocation, or starting. */
  busy: number;
  /** Instances kept warm for minInstances (0 when the version is not its function's provisioned one). */
  minInstances: number;
  /** A newer version replaced it: its instances are disposed as their invocations finish. */
  retired: boolean;
}

export interface PoolStats {
  /** Live instances holding no invocation. */
  idle: number;
  /** Live instances holding an invocation (running or queued), or starting. */
  busy: number;
  /** Invocations admitted and not finished: running, queued on an instance, or waiting for one. */
  invocations: number;
  coldStarts: number;
  /** Idle instances disposed to make room within the memory budget. */
  evictions: number;
  /** Idle instances disposed after `idleTtlMs` unused (scale to zero). */
  expirations: number;
  /** New instances refused with CapacityExceeded: nothing idle could be evicted to make room. */
  capacityRefusals: number;
  /** Sum of the memory limits of live instances, in MB. Spares are not included. */
  memoryMb: number;
  memoryBudgetMb: number;
  /** Instances the live versions' minInstances ask for, and the memory they reserve in the budget. */
  provisioned: number;
  provisionedMb: number;
  /** Booted spare isolates, ready for cold starts. */
  spares: number;
  versions: VersionStats[];
}
