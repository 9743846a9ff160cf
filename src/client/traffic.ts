// The answers of the control API's traffic routes as the client sees them: versions, diffs, aliases and the shadow
// report. Kept apart from the client class so each file holds one idea.
import type { AliasTarget, ShadowTarget } from "../store/index.ts";

export type { AliasChange, AliasTarget, ShadowTarget, SplitEntry } from "../store/index.ts";

/** How `pave deploy` places the new version: all of `live` (default), a canary beside it, or its shadow. */
export interface DeployMode {
  /** `10`, `10%`: percent of live's requests (1–99). */
  canary?: string | number;
  /** Percent of live's requests mirrored (1–100). */
  shadow?: string | number;
  shadowWrites?: boolean;
}

export interface VersionInfo {
  id: string;
  seq: number;
  live: boolean;
  /** The aliases that point at it with their weight (`shadow`: the percent it mirrors). */
  aliases: { alias: string; weight: number; shadow?: number }[];
  bundleBytes: number;
  createdAt: number;
  createdBy: string;
}

export interface AliasInfo extends AliasTarget {
  name: string;
  updatedAt: number;
  updatedBy: string | null;
}

export interface VersionDiffAnswer {
  from: { id: string; seq: number };
  to: { id: string; seq: number };
  manifest: { key: string; from: unknown; to: unknown }[];
  code: string;
}

export interface ShadowSide {
  versions: string[];
  invocations: number;
  errors: number;
  errorRate: number;
  p50Ms: number | null;
  p99Ms: number | null;
  statuses: Record<string, number>;
}

export interface ShadowReportAnswer {
  function: string;
  env: string;
  mirror: ShadowTarget | null;
  dropped: number;
  pairs: number;
  primary: ShadowSide;
  shadow: ShadowSide;
  statusMatchRate: number | null;
  bodyMatchRate: number | null;
}
