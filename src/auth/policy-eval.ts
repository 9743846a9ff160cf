// Evaluates a policy against what a deploy asks for: every matching rule contributes and the strictest outcome wins
// (deny > require-approval, highest role first > allow). Pure: the caller supplies the facts and the deployer's role.
import type { Role } from "../store/index.ts";
import { ROLE_RANK } from "./access.ts";
import type { ApproverRole, Policy, PolicyRule } from "./policy.ts";

/** What a deploy asks for, read from its normalised manifest. */
export interface DeployFacts {
  memory: number;
  timeoutMs: number;
  concurrency: number;
  minInstances: number;
  egress: string[];
  secrets: string[];
}

/** A rule that matched, with its outcome in words and why it matched. */
export interface MatchedRule {
  name: string;
  /** The rule's `then`, in words. */
  outcome: "allow" | "deny" | `require-approval: ${ApproverRole}`;
  why: string;
}

export type PolicyVerdict =
  | { outcome: "allow"; matched: MatchedRule[] }
  | { outcome: "deny"; matched: MatchedRule[]; rules: MatchedRule[] }
  | { outcome: "approval"; matched: MatchedRule[]; rules: MatchedRule[]; role: ApproverRole };

export function evaluatePolicy(policy: Policy, facts: DeployFacts): PolicyVerdict {
  const matched: MatchedRule[] = [];
  for (const rule of policy.rules) {
    if (rule.then === "throttle") continue; // budget rules act on spending, not on deploys
    const why = matches(rule, facts);
    if (why === undefined) continue;
    const outcome =
      typeof rule.then === "string" ? rule.then : (`require-approval: ${rule.then["require-approval"]}` as const);
    matched.push({ name: rule.name, outcome, why });
  }
  const denies = matched.filter((m) => m.outcome === "deny");
  if (denies.length > 0) return { outcome: "deny", matched, rules: denies };
  const approvals = matched.filter((m) => m.outcome.startsWith("require-approval"));
  if (approvals.length === 0) return { outcome: "allow", matched };
  const roleOf = (m: MatchedRule) => m.outcome.slice("require-approval: ".length) as ApproverRole;
  const role = approvals.map(roleOf).reduce((a, b) => (ROLE_RANK[b] > ROLE_RANK[a] ? b : a));
  // Only the rules that ask for the role that must approve: a lesser rule is answered by the same approval.
  return { outcome: "approval", matched, rules: approvals.filter((m) => roleOf(m) === role), role };
}

/** Whether `role` satisfies an approval that `needed` must give: the deployer's own role may be enough. */
export function canApprove(role: Role, needed: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[needed];
}

/** Why the rule matches, in words, or undefined when it does not; every condition of `when` must hold. */
function matches(rule: PolicyRule, f: DeployFacts): string | undefined {
  const w = rule.when;
  const reasons: string[] = [];
  const ranges: [string, { above?: number | undefined; atMost?: number | undefined } | undefined, number, string][] = [
    ["memory", w.memory, f.memory, " MB"],
    ["timeout", w.timeout, f.timeoutMs, "ms"],
    ["concurrency", w.concurrency, f.concurrency, ""],
    ["minInstances", w.minInstances, f.minInstances, ""],
  ];
  for (const [key, r, value, unit] of ranges) {
    if (!r) continue;
    if (r.above !== undefined && !(value > r.above)) return undefined;
    if (r.atMost !== undefined && !(value <= r.atMost)) return undefined;
    const bounds = [r.above !== undefined && `above ${r.above}`, r.atMost !== undefined && `at most ${r.atMost}`];
    reasons.push(`${key} ${value}${unit} is ${bounds.filter(Boolean).join(" and ")}`);
  }
  if (w.egress) {
    const outside = f.egress.filter((h) => !w.egress?.hostsNotIn.some((allowed) => hostCovered(h, allowed)));
    if (outside.length === 0) return undefined;
    reasons.push(`egress to ${outside.join(", ")}${w.egress.hostsNotIn.length ? " is not in the allowed hosts" : ""}`);
  }
  if (w.secrets) {
    const outside = f.secrets.filter((s) => !w.secrets?.namesNotIn.includes(s));
    if (outside.length === 0) return undefined;
    reasons.push(`secrets ${outside.join(", ")}${w.secrets.namesNotIn.length ? " are not in the allowed names" : ""}`);
  }
  return reasons.length > 0 ? reasons.join("; ") : "it applies to every deploy";
}

/** `api.example.com` is covered by itself and by `*.example.com`; a `*.x` grant only by `*.x` or a wider wildcard. */
function hostCovered(host: string, allowed: string): boolean {
  const h = host.toLowerCase();
  const a = allowed.toLowerCase();
  if (h === a) return true;
  return a.startsWith("*.") && h.endsWith(a.slice(1));
}
