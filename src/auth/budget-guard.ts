// Budget rules enforced: a periodic pass prices each function's month-to-date usage in environments whose policy
// has a budget rule and throttles those past it (stored, audited as `system`); the hot path asks an in-memory map.
import { PaveError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { type AuditLog, SYSTEM_ACTOR } from "../ops/index.ts";
import type { BudgetThrottle, Store } from "../store/index.ts";
import { type Prices, priceOf } from "../telemetry/index.ts";
import type { PolicyBook } from "./policies.ts";

export interface BudgetGuardDeps {
  store: Store;
  policies: PolicyBook;
  audit: AuditLog;
  prices: Prices;
  logger: Logger;
}

/** The first instant of `now`'s month, UTC: budgets are monthly and roll over with the calendar month. */
export function monthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export class BudgetGuard {
  readonly #deps: BudgetGuardDeps;
  /** `env/function` → its throttle: what every invocation asks, so it stays O(1). */
  #throttled = new Map<string, BudgetThrottle>();

  constructor(deps: BudgetGuardDeps) {
    this.#deps = deps;
  }

  /** The BudgetExceeded error for a throttled function, or undefined when it may run. */
  refusal(env: string, name: string): PaveError | undefined {
    const t = this.#throttled.get(`${env}/${name}`);
    if (!t) return undefined;
    return new PaveError(
      "BudgetExceeded",
      `${name} is throttled: its cost this month (${usd(t.costUsd)}) passed the ${usd(t.budgetUsd)} budget of rule ${t.rule} in the ${env} policy; it runs again next month, or when an admin raises the budget (pave policy set)`,
      { details: { rule: t.rule, budgetUsd: t.budgetUsd, costUsd: t.costUsd, since: t.since } },
    );
  }

  /** The throttle of a function, for listings. */
  throttleOf(env: string, name: string): BudgetThrottle | undefined {
    return this.#throttled.get(`${env}/${name}`);
  }

  /**
   * Recomputes who is over budget, stores and audits every change, and reloads the in-memory map. Resolves true when
   * a throttle was added or released, so the other nodes can be told to `reload`.
   */
  async refresh(now = Date.now()): Promise<boolean> {
    const { store } = this.#deps;
    const before = await store.listBudgetThrottles();
    // Only an environment with a policy of its own can have a budget rule (the default policy has none); one that
    // holds throttles is checked too, so they are released when its budget goes.
    const envs = new Set([...(await store.policyEnvs()), ...before.map((t) => t.env)]);
    const want = new Map<string, BudgetThrottle>();
    for (const env of envs) for (const t of await this.#overBudget(env, now)) want.set(`${t.env}/${t.function}`, t);
    const had = new Map(before.map((t) => [`${t.env}/${t.function}`, t]));
    let changed = false;
    // Several nodes may refresh at once (each at its start): only the one whose write created or deleted a throttle
    // audits it, so each change is on the record once.
    for (const [key, t] of want) {
      const old = had.get(key);
      const created = await store.putBudgetThrottle(old ? { ...t, since: old.since } : t);
      if (created) await this.#record("budget.throttle", t, null, t);
      changed ||= created;
    }
    for (const [key, t] of had) {
      if (want.has(key)) continue;
      if (!(await store.deleteBudgetThrottle(t.env, t.function))) continue;
      await this.#record("budget.release", t, t, null);
      changed = true;
    }
    await this.reload();
    return changed;
  }

  /** Re-reads the stored throttles only: what another node's refresh decided. */
  async reload(): Promise<void> {
    const throttles = await this.#deps.store.listBudgetThrottles();
    this.#throttled = new Map(throttles.map((t) => [`${t.env}/${t.function}`, t]));
  }

  /** The functions of `env` whose month-to-date cost is above a budget rule, each under its smallest such budget. */
  async #overBudget(env: string, now: number): Promise<BudgetThrottle[]> {
    const { policy } = await this.#deps.policies.current(env);
    const budgets = policy.rules
      .flatMap((r) => (r.when.budget ? [{ rule: r.name, usd: r.when.budget.monthlyUsd }] : []))
      .sort((a, b) => a.usd - b.usd);
    if (budgets.length === 0) return [];
    const usage = await this.#deps.store.usage({ env, since: monthStart(now), until: now + 1, by: "function" });
    const out: BudgetThrottle[] = [];
    for (const u of usage) {
      if (u.function === null) continue;
      const cost = priceOf(u, this.#deps.prices);
      const over = budgets.find((b) => cost > b.usd);
      if (over)
        out.push({ env, function: u.function, rule: over.rule, budgetUsd: over.usd, costUsd: cost, since: now });
    }
    return out;
  }

  async #record(
    action: "budget.throttle" | "budget.release",
    t: BudgetThrottle,
    before: BudgetThrottle | null,
    after: BudgetThrottle | null,
  ): Promise<void> {
    const view = (x: BudgetThrottle | null) => x && { rule: x.rule, budgetUsd: x.budgetUsd, costUsd: x.costUsd };
    this.#deps.logger.info({ env: t.env, function: t.function, rule: t.rule }, action);
    await this.#deps.audit.record({
      action,
      actor: SYSTEM_ACTOR,
      env: t.env,
      function: t.function,
      target: t.function,
      before: view(before),
      after: view(after),
      details: { rule: t.rule, month: new Date(monthStart(Date.now())).toISOString().slice(0, 7) },
    });
  }
}

/** Dollars with enough digits to show the fractions of a cent a budget may be: `$100.00`, `$0.00000010`. */
function usd(n: number): string {
  if (n === 0) return "$0";
  const digits = Math.min(12, Math.max(2, 1 - Math.floor(Math.log10(Math.abs(n)))));
  return `$${n.toFixed(digits)}`;
}
