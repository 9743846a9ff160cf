// The canary as the store keeps it: versions, steps and policy fixed at its start, where it stands now, the figures
// of its last analysis and why it ended. The deploy domain decides; the store only remembers and arbitrates (revision).

/** `running` until the analysis (or an operator) promotes it, rolls it back, or finds live moved under it (aborted). */
export type CanaryStatus = "running" | "promoted" | "rolled-back" | "aborted";

/** How a canary is judged (the manifest's `canary:` with defaults applied; see docs/traffic.md). */
export interface CanaryPolicy {
  /** How long each step must stay healthy before the next one (ms). */
  bakeMs: number;
  /** How far back each analysis looks, never before its step began (ms). */
  windowMs: number;
  /** Most the canary's error rate may exceed the baseline's by, absolute (0.01: one percentage point). */
  maxErrorRateIncrease: number;
  /** Most the canary's p99 may be as a multiple of the baseline's (1.2: 20% slower). */
  maxP99Increase: number;
  /** Canary requests in the window before it may be judged healthy (or breach on a rate). */
  minRequests: number;
}

/** One side's figures over an analysis window. */
export interface CanaryFigures {
  requests: number;
  errors: number;
  /** errors / requests; 0 when nothing ran. */
  errorRate: number;
  /** Estimated from the rollups' duration histogram (ms); null when nothing ran. */
  p99Ms: number | null;
}

/** What one analysis saw and decided. */
export interface CanaryAnalysis {
  at: number;
  /** The window's start as read (rollups are per minute: the start of the minute holding it). */
  since: number;
  baseline: CanaryFigures;
  canary: CanaryFigures;
  decision: "wait" | "step" | "promote" | "rollback";
  /** Why, in one line: the breach with its values, what it waits for, where it steps to. */
  note: string;
  /** On a rollback: the metric that breached, the two values and the limit the canary's crossed. */
  metric?: "errorRate" | "p99";
  canaryValue?: number;
  baselineValue?: number;
  threshold?: number;
}

export interface NewCanary {
  env: string;
  function: string;
  baseline: string;
  canary: string;
  /** Weights to go through, whole percents increasing to 100; the first is where it starts. */
  steps: number[];
  policy: CanaryPolicy;
  startedBy: string;
  now: number;
}

export interface CanaryRecord extends Omit<NewCanary, "now"> {
  /** Index into `steps` of the weight the canary serves now. */
  step: number;
  status: CanaryStatus;
  startedAt: number;
  stepStartedAt: number;
  updatedAt: number;
  /** Bumped by every change: what a compare-and-set (Store.updateCanary) compares. */
  revision: number;
  analysis: CanaryAnalysis | null;
  reason: string | null;
}

/** What an evaluation or an operator changes; `now` becomes updatedAt. */
export interface CanaryChange {
  step?: number;
  status?: CanaryStatus;
  stepStartedAt?: number;
  analysis?: CanaryAnalysis | null;
  reason?: string | null;
  now: number;
}
