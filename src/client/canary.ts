// The answers of the control API's canary routes as the client sees them: the canary's state, its last analysis
// and its decisions. Kept apart from the client class so each file holds one idea.
import type { AliasTarget, CanaryAnalysis, CanaryPolicy, CanaryStatus } from "../store/index.ts";

export type { CanaryAnalysis, CanaryFigures, CanaryPolicy, CanaryStatus } from "../store/index.ts";

export interface CanaryView {
  baseline: string;
  canary: string;
  status: CanaryStatus;
  steps: number[];
  step: number;
  /** Percent of live the canary serves now (100 once promoted, 0 once rolled back or aborted). */
  weight: number;
  policy: CanaryPolicy;
  startedAt: number;
  startedBy: string;
  stepStartedAt: number;
  /** Until the current step has baked; null once the canary ended. */
  bakeLeftMs: number | null;
  updatedAt: number;
  analysis: CanaryAnalysis | null;
  reason: string | null;
}

export interface CanaryDecision {
  at: number;
  /** `system` for the analysis, else the operator's token name. */
  actor: string;
  outcome: string;
  decision: string | null;
  note: string | null;
  metric: string | null;
  canaryValue: number | null;
  baselineValue: number | null;
  threshold: number | null;
  requests: number | null;
}

export interface CanaryAnswer {
  function: string;
  env: string;
  canary: CanaryView;
  /** Oldest first: steps, the promotion or rollback, an abort, as the audit log recorded them. */
  decisions: CanaryDecision[];
}

export interface CanaryFinishAnswer {
  function: string;
  env: string;
  canary: CanaryView;
  live: AliasTarget;
}
