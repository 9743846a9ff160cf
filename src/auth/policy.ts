// The policy file: an environment's guard rails as YAML rules (one zod schema → validation and types), the default
// policy of a fresh server, and the parser whose errors name the line and the reason. Evaluation is policy-eval.ts.
import { z } from "zod";
import { PaveError } from "../errors.ts";
import { describeIssues, parseYamlWithLines } from "../yaml-lines.ts";

/**
 * The policy an environment without one of its own follows. It must work as written: it is shown by
 * `pave policy show` and quoted verbatim in docs/policies.md (a test checks).
 */
export const DEFAULT_POLICY_YAML = `# The default policy: developers size their functions up to 512 MB themselves,
# an operator approves anything up to 4 GB, and nobody deploys more.
rules:
  - name: memory-self-service
    when: { memory: { atMost: 512 } }
    then: allow
  - name: memory-large
    when: { memory: { above: 512, atMost: 4096 } }
    then: { require-approval: operator }
  - name: memory-too-large
    when: { memory: { above: 4096 } }
    then: deny
`;

/** A numeric range: matches when the value is above `above` (exclusive) and at most `atMost` (inclusive). */
const range = (unit: z.ZodType<number>) =>
  z
    .strictObject({ above: unit.optional(), atMost: unit.optional() })
    .refine((r) => r.above !== undefined || r.atMost !== undefined, "a range with `above`, `atMost` or both");

const count = z.number().int().min(0);
/** Timeouts are compared in ms; written like the manifest's (`30s`, `500ms`, `2m`) or as seconds. */
const timeoutMs = z
  .union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?(ms|s|m)$/, "a duration like 500ms, 10s or 2m")])
  .transform((v) => {
    if (typeof v === "number") return Math.round(v * 1000);
    const n = Number.parseFloat(v);
    return Math.round(v.endsWith("ms") ? n : v.endsWith("m") ? n * 60_000 : n * 1000);
  });

const approverRole = z.enum(["developer", "operator", "admin"]);

const when = z.strictObject({
  /** MB. */
  memory: range(count).optional(),
  timeout: range(timeoutMs).optional(),
  concurrency: range(count).optional(),
  minInstances: range(count).optional(),
  /** Matches when the manifest grants an egress host not covered by this list (an empty list: any egress at all). */
  egress: z.strictObject({ hostsNotIn: z.array(z.string().min(1)).default([]) }).optional(),
  /** Matches when the manifest binds a secret not in this list (an empty list: any secret at all). */
  secrets: z.strictObject({ namesNotIn: z.array(z.string().min(1)).default([]) }).optional(),
  /** Matches a function whose month-to-date cost is above this many USD; only with `then: throttle`. */
  budget: z.strictObject({ monthlyUsd: z.number().nonnegative() }).optional(),
});

const then = z.union([z.enum(["allow", "deny", "throttle"]), z.strictObject({ "require-approval": approverRole })]);

const rule = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, "a rule name of a lowercase letter then a-z, 0-9, -"),
    when: when.prefault({}),
    then,
  })
  .superRefine((r, ctx) => {
    // A budget is about money spent, not about what a deploy asks for: it pairs with `throttle` and nothing else.
    const deployKeys = Object.keys(r.when).filter((k) => k !== "budget" && r.when[k as keyof typeof r.when]);
    if (r.when.budget && (r.then !== "throttle" || deployKeys.length > 0)) {
      ctx.addIssue({ code: "custom", path: ["then"], message: "`throttle` alone with a `budget` condition" });
    } else if (!r.when.budget && r.then === "throttle") {
      ctx.addIssue({ code: "custom", path: ["then"], message: "a `budget` condition with `throttle`" });
    }
  });

export const policySchema = z.strictObject({ rules: z.array(rule).default([]) }).superRefine((p, ctx) => {
  const seen = new Set<string>();
  p.rules.forEach((r, i) => {
    if (seen.has(r.name)) ctx.addIssue({ code: "custom", path: ["rules", i, "name"], message: `a unique name` });
    seen.add(r.name);
  });
});

export type Policy = z.output<typeof policySchema>;
export type PolicyRule = Policy["rules"][number];
export type ApproverRole = z.output<typeof approverRole>;

/** Parses and validates a policy file; throws PolicyInvalid naming each problem's line, key and reason. */
export function parsePolicy(text: string, file = "policy.yaml"): Policy {
  const { raw, lineOf } = parseYamlWithLines(text, file, "PolicyInvalid");
  const result = policySchema.safeParse(raw);
  if (result.success) return result.data;
  const issues = describeIssues(policySchema, result.error.issues, raw, lineOf);
  const lines = issues.map((i) => `${file}${i.line !== undefined ? `:${i.line}` : ""}: ${i.key}: ${i.message}`);
  throw new PaveError("PolicyInvalid", `${lines.join("\n")}\n(the policy in force is unchanged)`, {
    details: { file, issues },
  });
}

/** The default policy, parsed (it is checked by the same parser, so it cannot drift from the schema). */
export const DEFAULT_POLICY: Policy = parsePolicy(DEFAULT_POLICY_YAML, "default policy");
