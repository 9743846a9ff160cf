// What the control API answers about environments and stale functions, as the client types them (the CLI, the
// dashboard and tests read these; the server's own types stay on its side of the wire).
import type { EnvironmentContents, EnvironmentCopy, EnvironmentRecord } from "../store/index.ts";

export type { EnvironmentContents, EnvironmentCopy, EnvironmentRecord };

export interface EnvironmentSummary extends EnvironmentRecord {
  contents: EnvironmentContents;
  /** Epoch ms of its latest activation still kept, or null. */
  lastInvocationAt: number | null;
  /** USD since the first of this month (UTC), at the server's prices. */
  costMonthToDate: number;
}

export interface CreateEnvironmentAnswer {
  environment: EnvironmentRecord;
  copied: EnvironmentCopy;
  /** Secrets the copied functions bind that the new environment does not hold (secrets are never copied). */
  missingSecrets: { name: string; functions: string[] }[];
}

/** A retire candidate of `pave ls --stale`. */
export interface StaleFunctionSummary {
  name: string;
  env: string;
  version: string | null;
  deployedAt: number | null;
  lastInvokedAt: number | null;
  invocations: number;
  cost: number;
  minInstances: number;
  memory: number | null;
}
