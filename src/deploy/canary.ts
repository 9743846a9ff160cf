// The canary analysis on a timer: every few seconds each running canary's baseline and canary are read from the
// rollups and judged (canary-analysis.ts); the node that wins the compare-and-set on the canary row steps, promotes or
// rolls back `live`, and records why on the audit log. Operators abort or promote by hand through the same claim.
import { PaveError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { type AuditLog, SYSTEM_ACTOR } from "../ops/index.ts";
import type { AliasTarget, CanaryAnalysis, CanaryChange, CanaryRecord, Store } from "../store/index.ts";
import { MINUTE_MS } from "../store/index.ts";
import type { AliasControl } from "./aliases.ts";
import { analysisSince, decide, figuresOf } from "./canary-analysis.ts";
import { canaryOf, whole } from "./traffic.ts";

/** Time as the analysis sees it; injected so tests judge bakes and windows without sleeping. */
export interface CanaryClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: CanaryClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** How long a claimed move of live may lag its claim (another node making it) before live counts as moved by hand. */
const PENDING_MOVE_MS = 30_000;

export interface CanaryControlOptions {
  store: Store;
  aliases: Pick<AliasControl, "moveLive">;
  audit: Pick<AuditLog, "record">;
  logger: Logger;
  /** @default the system clock */
  clock?: CanaryClock;
  /** How often running canaries are analysed. @default 5000 */
  intervalMs?: number;
}

/** The weight a canary serves given its status: its step while running, all once promoted, none once ended. */
export function canaryWeight(c: CanaryRecord): number {
  if (c.status === "running") return c.steps[c.step] as number;
  return c.status === "promoted" ? 100 : 0;
}

const split = (c: CanaryRecord, weight: number): AliasTarget => ({
  split: [
    { version: c.baseline, weight: 100 - weight },
    { version: c.canary, weight },
  ],
  shadow: null,
});

export class CanaryControl {
  readonly #store: Store;
  readonly #aliases: Pick<AliasControl, "moveLive">;
  readonly #audit: Pick<AuditLog, "record">;
  readonly #logger: Logger;
  readonly #clock: CanaryClock;
  readonly #intervalMs: number;
  #timer: unknown;
  #running: Promise<void> | undefined;
  #stopped = true;

  constructor(options: CanaryControlOptions) {
    this.#store = options.store;
    this.#aliases = options.aliases;
    this.#audit = options.audit;
    this.#logger = options.logger.child({ component: "canary" });
    this.#clock = options.clock ?? systemClock;
    this.#intervalMs = options.intervalMs ?? 5000;
  }

  /** Analyses every running canary now and then; a failed pass is logged and the next one tries again. */
  start(): void {
    this.#stopped = false;
    this.#arm();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
    await this.#running;
  }

  #arm(): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#running = this.analyseAll()
        .catch((err: unknown) => this.#logger.warn({ err }, "canary analysis failed; retrying on the next pass"))
        .finally(() => {
          this.#running = undefined;
          if (!this.#stopped) this.#arm();
        });
    }, this.#intervalMs);
  }

  /** One pass over every environment's running canaries. */
  async analyseAll(): Promise<void> {
    for (const c of await this.#store.listCanaries("running")) {
      try {
        await this.evaluate(c);
      } catch (err) {
        this.#logger.error({ err, env: c.env, function: c.function }, "analysing a canary failed");
      }
    }
  }

  /** Judges one canary and acts on the decision if this node wins the claim; the analysis, or null when it lost. */
  async evaluate(c: CanaryRecord): Promise<CanaryAnalysis | null> {
    const now = this.#clock.now();
    const live = await this.#store.readAlias(c.env, c.function, "live");
    const seen = live && canaryOf(live);
    if (!seen || seen.baseline !== c.baseline || seen.canary !== c.canary || seen.weight !== canaryWeight(c)) {
      // A node that claimed a step moves live just after its claim: until then live lags the row, which is not a
      // move by hand. Only a live moved after the row's last change, or a move that never came, ends the analysis.
      const pending = live !== undefined && live.updatedAt < c.updatedAt && now - c.updatedAt < PENDING_MOVE_MS;
      if (!pending) await this.#abandoned(c, live ?? null, now);
      return null;
    }
    const since = analysisSince(c, now);
    const read = async (version: string) =>
      figuresOf(
        await this.#store.rollups({
          env: c.env,
          function: c.function,
          version,
          since,
          until: now + MINUTE_MS,
          step: MINUTE_MS,
        }),
      );
    const analysis = decide(c, now, since, await read(c.baseline), await read(c.canary));
    const change: CanaryChange = { analysis, now };
    if (analysis.decision === "rollback") Object.assign(change, { status: "rolled-back", reason: analysis.note });
    if (analysis.decision === "promote") Object.assign(change, { status: "promoted", reason: analysis.note });
    if (analysis.decision === "step") Object.assign(change, { step: c.step + 1, stepStartedAt: now });
    const claimed = await this.#store.updateCanary(c.env, c.function, c.revision, change);
    if (!claimed) return null;
    if (analysis.decision === "wait") return analysis;
    const target =
      analysis.decision === "rollback"
        ? whole(c.baseline)
        : analysis.decision === "promote"
          ? whole(c.canary)
          : split(c, canaryWeight(claimed));
    const reason =
      analysis.decision === "rollback" ? `canary-rollback: ${analysis.note}` : `canary-${analysis.decision}`;
    let outcome: "ok" | "failed" = "ok";
    try {
      await this.#aliases.moveLive(c.env, c.function, target, reason, SYSTEM_ACTOR.name);
    } catch (err) {
      outcome = "failed";
      this.#logger.error({ err, env: c.env, function: c.function, analysis }, "moving live for a canary failed");
    }
    await this.#audit.record({
      action: "canary.step",
      actor: SYSTEM_ACTOR,
      outcome,
      env: c.env,
      function: c.function,
      target: c.function,
      before: { split: live?.split },
      after: target,
      details: details(c, analysis),
    });
    return analysis;
  }

  /** Live no longer holds this canary as it left it (a deploy, rollback or alias move by hand): stop analysing it. */
  async #abandoned(c: CanaryRecord, live: AliasTarget | null, now: number): Promise<void> {
    const promoted = live?.split.length === 1 && live.split[0]?.version === c.canary;
    const reason = promoted
      ? "live was given the canary whole by hand"
      : "live was moved by hand (a deploy, rollback or alias set); the analysis stopped";
    const ended = await this.#store.updateCanary(c.env, c.function, c.revision, {
      status: promoted ? "promoted" : "aborted",
      reason,
      now,
    });
    if (!ended) return;
    await this.#audit.record({
      action: "canary.step",
      actor: SYSTEM_ACTOR,
      env: c.env,
      function: c.function,
      target: c.function,
      before: { canary: c.canary, baseline: c.baseline, weight: canaryWeight(c) },
      after: live && { split: live.split },
      details: { decision: promoted ? "promoted" : "aborted", reason, canary: c.canary, baseline: c.baseline },
    });
  }

  /**
   * An operator ends the canary: `abort` returns live to the baseline, `promote` gives the canary all of it. Claimed
   * like an analysis, so it never crosses one; CanaryNotFound when none is running.
   */
  async finish(env: string, fn: string, how: "abort" | "promote", by: string) {
    for (let attempt = 0; ; attempt++) {
      const c = await this.#store.getCanary(env, fn);
      if (c?.status !== "running") {
        throw new PaveError(
          "CanaryNotFound",
          c
            ? `the canary of ${fn} (${c.canary}) already ended: ${c.status}${c.reason ? ` — ${c.reason}` : ""}`
            : `${fn} has no canary in environment ${env}; start one with pave deploy --canary 10%`,
        );
      }
      const reason = how === "abort" ? `aborted by ${by}` : `promoted by ${by}, skipping the remaining steps`;
      const ended = await this.#store.updateCanary(env, fn, c.revision, {
        status: how === "abort" ? "aborted" : "promoted",
        reason,
        now: this.#clock.now(),
      });
      if (!ended) {
        // An analysis acted meanwhile: look again (it may have ended the canary itself).
        if (attempt < 3) continue;
        throw new PaveError("CanaryNotFound", `the canary of ${fn} kept changing; try again`);
      }
      const target = whole(how === "abort" ? c.baseline : c.canary);
      const from = await this.#aliases.moveLive(env, fn, target, `canary-${how}`, by);
      return { canary: ended, from, to: target };
    }
  }
}

/** The figures an audit record of a decision carries: what breached, both values, the limit, the window. */
function details(c: CanaryRecord, a: CanaryAnalysis): Record<string, unknown> {
  return {
    decision: a.decision,
    note: a.note,
    canary: c.canary,
    baseline: c.baseline,
    ...(a.metric !== undefined && {
      metric: a.metric,
      canaryValue: a.canaryValue,
      baselineValue: a.baselineValue,
      threshold: a.threshold,
    }),
    window: { since: a.since, until: a.at, windowMs: c.policy.windowMs },
    requests: a.canary.requests,
    baselineRequests: a.baseline.requests,
    errorRate: { canary: a.canary.errorRate, baseline: a.baseline.errorRate },
    p99Ms: { canary: a.canary.p99Ms, baseline: a.baseline.p99Ms },
  };
}
