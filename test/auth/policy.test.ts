// The policy file and its evaluation: the default policy as written (and quoted verbatim in docs/policies.md),
// strictest outcome wins, every condition, and invalid files refused with their line and reason.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  DEFAULT_POLICY,
  DEFAULT_POLICY_YAML,
  type DeployFacts,
  evaluatePolicy,
  parsePolicy,
} from "../../src/auth/index.ts";
import { PaveError } from "../../src/errors.ts";

const facts = (over: Partial<DeployFacts> = {}): DeployFacts => ({
  memory: 128,
  timeoutMs: 10_000,
  concurrency: 16,
  minInstances: 0,
  egress: [],
  secrets: [],
  ...over,
});

function invalid(text: string): PaveError {
  try {
    parsePolicy(text, "p.yaml");
  } catch (err) {
    assert.ok(err instanceof PaveError);
    assert.equal(err.code, "PolicyInvalid");
    return err;
  }
  assert.fail("expected PolicyInvalid");
}

describe("the default policy", () => {
  it("is quoted verbatim in docs/policies.md", () => {
    const doc = readFileSync(new URL("../../docs/policies.md", import.meta.url), "utf8");
    assert.ok(doc.includes(`\`\`\`yaml\n${DEFAULT_POLICY_YAML}\`\`\``));
  });

  it("allows up to 512 MB, asks an operator up to 4096 MB, denies above", () => {
    assert.equal(evaluatePolicy(DEFAULT_POLICY, facts({ memory: 512 })).outcome, "allow");
    for (const memory of [513, 1024, 4096]) {
      const v = evaluatePolicy(DEFAULT_POLICY, facts({ memory }));
      assert.equal(v.outcome, "approval", String(memory));
      assert.ok(v.outcome === "approval" && v.role === "operator");
    }
    const huge = evaluatePolicy(DEFAULT_POLICY, facts({ memory: 4097 }));
    assert.ok(huge.outcome === "deny");
    assert.deepEqual(huge.rules, [{ name: "memory-too-large", outcome: "deny", why: "memory 4097 MB is above 4096" }]);
  });
});

describe("evaluation", () => {
  const policy = parsePolicy(`rules:
  - name: any-egress
    when: { egress: { hostsNotIn: [api.example.com, "*.ok.dev"] } }
    then: { require-approval: operator }
  - name: secrets
    when: { secrets: { namesNotIn: [A] } }
    then: { require-approval: admin }
  - name: slow
    when: { timeout: { above: 1m } }
    then: deny
  - name: warm
    when: { minInstances: { above: 0 }, concurrency: { atMost: 4 } }
    then: { require-approval: developer }
  - name: money
    when: { budget: { monthlyUsd: 5 } }
    then: throttle
`);

  it("takes the strictest outcome: deny over the highest approval over allow", () => {
    assert.equal(evaluatePolicy(policy, facts()).outcome, "allow");
    const op = evaluatePolicy(policy, facts({ egress: ["api.example.com", "x.ok.dev", "evil.org"] }));
    assert.ok(op.outcome === "approval" && op.role === "operator");
    assert.match(op.rules[0]?.why ?? "", /egress to evil\.org is not in the allowed hosts/);
    const admin = evaluatePolicy(policy, facts({ egress: ["evil.org"], secrets: ["A", "B"] }));
    assert.ok(admin.outcome === "approval" && admin.role === "admin");
    assert.deepEqual(
      admin.rules.map((r) => r.name),
      ["secrets"],
    );
    const denied = evaluatePolicy(policy, facts({ secrets: ["B"], timeoutMs: 61_000 }));
    assert.ok(denied.outcome === "deny" && denied.rules[0]?.name === "slow");
  });

  it("needs every condition of a rule to hold", () => {
    assert.equal(evaluatePolicy(policy, facts({ minInstances: 1, concurrency: 8 })).outcome, "allow");
    const v = evaluatePolicy(policy, facts({ minInstances: 1, concurrency: 4 }));
    assert.ok(v.outcome === "approval" && v.role === "developer");
  });
});

describe("invalid files", () => {
  it("name the line, key and reason", () => {
    const err = invalid("rules:\n  - name: x\n    when: { memory: { abvoe: 1 } }\n    then: deny\n");
    assert.match(err.message, /^p\.yaml:3: rules\.0\.when\.memory\.abvoe: unknown key; expected one of above, atMost/);
    assert.match(invalid("rules:\n  - name: x\n    then: maybe\n").message, /p\.yaml:3: rules\.0\.then: /);
    assert.match(invalid("rules: [\n").message, /^p\.yaml:\d+: not valid YAML/);
    assert.match(
      invalid("rules:\n  - name: x\n    when: { budget: { monthlyUsd: 1 } }\n    then: deny\n").message,
      /rules\.0\.then: expected `throttle` alone with a `budget` condition/,
    );
    assert.match(
      invalid("rules:\n  - { name: a, then: allow }\n  - { name: a, then: deny }\n").message,
      /p\.yaml:3: rules\.1\.name: expected a unique name/,
    );
  });
});
