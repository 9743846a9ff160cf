// Policies as code through a real server, real isolates and real SQLite: the default policy as written, pending
// deployments approved or rejected by someone else (exactly one of two concurrent approvals wins), invalid policy
// files refused with their line while the old policy stays, egress rules, and budget throttling.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createToken } from "../../src/auth/index.ts";
import { ApiError, type DeployAnswer, PaveClient, type PendingDeployAnswer } from "../../src/client/index.ts";
import type { Role } from "../../src/store/index.ts";
import {
  eventually,
  manifestYaml,
  removeFunctionDirs,
  startTestServer,
  type TestServer,
  writeFunction,
} from "./helpers.ts";

const HELLO = `export default { fetch: () => new Response("hi") };`;

let t: TestServer;
const as = {} as Record<"dev" | "dev2" | "op1" | "op2" | "admin", PaveClient>;
before(async () => {
  t = await startTestServer();
  const make = async (name: string, role: Role) => {
    const { token } = await createToken(t.server.store, { name, role, now: Date.now() });
    return new PaveClient({ url: t.server.url, token });
  };
  as.dev = await make("dev", "developer");
  as.dev2 = await make("dev2", "developer");
  as.op1 = await make("op1", "operator");
  as.op2 = await make("op2", "operator");
  as.admin = t.client;
  // Environments these tests set policies in and deploy to.
  for (const name of ["staging", "edge", "metered"]) await t.client.createEnvironment({ name });
});
after(async () => {
  await t.close();
  await removeFunctionDirs();
});

async function fnDir(name: string, extra: Record<string, string | number> = {}, bindings = ""): Promise<string> {
  return writeFunction({ "pave.yaml": manifestYaml(name, extra) + bindings, "src/index.ts": HELLO });
}

async function submit(client: PaveClient, name: string, memory: number, env = "prod") {
  return client.submitDeploy(await fnDir(name, { memory }), env);
}

function pendingOf(answer: DeployAnswer | PendingDeployAnswer): PendingDeployAnswer["pending"] {
  assert.ok("pending" in answer, `expected a pending deploy, got ${JSON.stringify(answer)}`);
  return answer.pending;
}

async function refused(p: Promise<unknown>, code: string, message: RegExp): Promise<ApiError> {
  let caught: ApiError | undefined;
  await assert.rejects(p, (err: ApiError) => {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    caught = err;
    return true;
  });
  return caught as ApiError;
}

describe("the default policy, as written", () => {
  it("lets a developer deploy 512 MB directly", async () => {
    const out = await submit(as.dev, "small", 512);
    assert.ok(!("pending" in out));
    assert.equal((await t.client.getFunction("small")).function.memory, 512);
  });

  it("holds 1024 MB for an operator; the requester may not approve it, another operator deploys it", async () => {
    const pending = pendingOf(await submit(as.dev, "big", 1024));
    assert.equal(pending.requiredRole, "operator");
    assert.deepEqual(
      pending.rules.map((r) => r.name),
      ["memory-large"],
    );
    await refused(as.dev.getFunction("big"), "FunctionNotFound", /no function big/);
    await refused(as.dev.approve(pending.id), "Forbidden", /token dev requested pending deployment .* may not approve/);
    await refused(
      as.dev2.approve(pending.id),
      "Forbidden",
      /needs the operator role or higher; token dev2 has developer/,
    );
    const listed = await as.dev.listApprovals();
    assert.ok(listed.approvals.some((a) => a.id === pending.id && a.requestedBy.name === "dev"));

    const approved = await as.op1.approve(pending.id);
    assert.equal(approved.approval.status, "approved");
    assert.equal(approved.approval.decidedBy?.name, "op1");
    assert.equal((await t.client.getFunction("big")).function.memory, 1024);

    const records = (await t.client.listAudit({ function: "big" })).records;
    const deploy = records.find((r) => r.action === "function.deploy" && r.actor.name === "op1");
    assert.ok(deploy, "the deploy is recorded by the approver");
    assert.equal((deploy.details?.onBehalfOf as { name?: string } | undefined)?.name, "dev");
    const approval = (await t.client.listAudit({ action: "approval.approve" })).records[0];
    assert.equal(approval?.target, pending.id);
    assert.equal(approval?.actor.name, "op1");
  });

  it("denies more than 4096 MB to an admin too, naming the rule", async () => {
    const err = await refused(
      submit(as.admin, "huge", 8192),
      "PolicyDenied",
      /default policy of prod denies deploying huge: rule memory-too-large \(memory 8192 MB is above 4096\)\. No role can approve/,
    );
    assert.equal(err.status, 403);
  });

  it("lets an operator deploy 1024 MB with no one else's approval", async () => {
    const out = await submit(as.op1, "op-big", 1024);
    assert.ok(!("pending" in out));
  });

  it("rejects with a reason; a decided deployment cannot be approved after", async () => {
    const pending = pendingOf(await submit(as.dev, "rejected", 2048));
    await refused(as.op1.reject(pending.id, "  "), "BadRequest", /say why/);
    const out = await as.op2.reject(pending.id, "2 GB is more than a cron job needs");
    assert.equal(out.approval.status, "rejected");
    assert.equal(out.approval.reason, "2 GB is more than a cron job needs");
    await refused(as.op1.approve(pending.id), "ApprovalDecided", /already rejected by op2/);
    await refused(as.op1.getFunction("rejected"), "FunctionNotFound", /rejected/);
    const record = (await t.client.listAudit({ action: "approval.reject" })).records[0];
    assert.equal(record?.actor.name, "op2");
  });

  it("lets exactly one of two concurrent approvals win", async () => {
    const pending = pendingOf(await submit(as.dev, "raced", 1024));
    const results = await Promise.allSettled([as.op1.approve(pending.id), as.op2.approve(pending.id)]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    const loser = lost[0]?.reason as ApiError | undefined;
    assert.equal(loser?.code, "ApprovalDecided");
    assert.equal(loser?.status, 409);
    assert.equal((await t.client.getFunction("raced")).function.memory, 1024);
  });

  it("finds no pending deployment by a made-up id", async () => {
    await refused(as.op1.approve("no-such-id"), "ApprovalNotFound", /no pending deployment no-such-id/);
  });
});

describe("setting policies", () => {
  it("round-trips set and show, versioned and audited; an invalid file names its line and changes nothing", async () => {
    const shown = await as.dev.getPolicy("staging");
    assert.equal(shown.policy.isDefault, true);
    assert.match(shown.policy.yaml, /memory-too-large/);

    const strict =
      "# staging: an admin approves anything above 256 MB\nrules:\n  - name: above-256\n    when: { memory: { above: 256 } }\n    then: { require-approval: admin }\n";
    await refused(as.op1.setPolicy(strict, "staging"), "Forbidden", /needs the admin role/);
    const set = await as.admin.setPolicy(strict, "staging");
    assert.equal(set.policy.version, 1);
    assert.equal((await as.dev.getPolicy("staging")).policy.yaml, strict);

    const invalid = "rules:\n  - name: typo\n    when: { memry: { above: 1 } }\n    then: deny\n";
    const err = await refused(
      as.admin.setPolicy(invalid, "staging", "staging.yaml"),
      "PolicyInvalid",
      /staging\.yaml:3: rules\.0\.when\.memry: unknown key/,
    );
    assert.match(err.message, /the policy in force is unchanged/);
    await refused(as.admin.setPolicy("rules: [\n", "staging"), "PolicyInvalid", /policy\.yaml:\d+: not valid YAML/);
    assert.equal((await as.dev.getPolicy("staging")).policy.version, 1);

    // Still in force: an operator's 512 MB waits for an admin, and the operator may not approve their own.
    const pending = pendingOf(await submit(as.op1, "staged", 512, "staging"));
    assert.equal(pending.requiredRole, "admin");
    await refused(as.op1.approve(pending.id), "Forbidden", /token op1 requested/);
    await refused(as.op2.approve(pending.id), "Forbidden", /needs the admin role or higher; token op2 has operator/);
    await as.admin.approve(pending.id);

    const changes = (await t.client.listAudit({ action: "policy.change" })).records;
    const ok = changes.find((r) => r.outcome === "ok");
    assert.deepEqual(ok?.before, { version: null, default: true });
    assert.deepEqual(ok?.after, { version: 1, rules: ["above-256"] });
    assert.ok(
      changes.some((r) => r.outcome === "failed"),
      "the refused file is on the record too",
    );
  });

  it("hold and deny promotes under the target environment's policy, as deploys there", async () => {
    await t.client.createEnvironment({ name: "gated" });
    await as.admin.setPolicy(
      "rules:\n  - name: big-needs-admin\n    when: { memory: { above: 256 } }\n    then: { require-approval: admin }\n  - name: no-huge\n    when: { memory: { above: 1024 } }\n    then: deny\n",
      "gated",
    );
    // Staged freely under staging's policy (the default: up to 512 MB is a developer's call).
    await as.admin.submitDeploy(await fnDir("promo-big", { memory: 512 }), "staging");
    const held = await as.dev.promote("promo-big", { from: "staging", to: "gated" });
    assert.ok("pending" in held, "512 MB needs an admin in gated");
    assert.equal(held.pending.requiredRole, "admin");
    assert.equal(
      await t.server.store.getAlias("gated", "promo-big", "live"),
      undefined,
      "nothing live before approval",
    );
    await as.admin.approve(held.pending.id);
    const staged = (await t.server.store.listVersions("staging", "promo-big"))[0];
    const live = await t.server.store.getAlias("gated", "promo-big", "live");
    assert.equal(live, staged?.id, "the approval deploys the very version staging runs");

    // 2048 MB needs an operator under staging's default policy: the admin's own role approves it.
    await as.admin.submitDeploy(await fnDir("promo-huge", { memory: 2048 }), "staging");
    await refused(as.admin.promote("promo-huge", { from: "staging", to: "gated" }), "PolicyDenied", /rule no-huge/);
  });

  it("denies egress to hosts outside the list, naming the rule", async () => {
    await as.admin.setPolicy(
      "rules:\n  - name: known-hosts-only\n    when: { egress: { hostsNotIn: [api.example.com, '*.trusted.dev'] } }\n    then: deny\n",
      "edge",
    );
    const egress = (hosts: string[]) => `bindings:\n  egress: [${hosts.join(", ")}]\n`;
    const ok = await as.dev.submitDeploy(
      await fnDir("fetcher", {}, egress(["api.example.com", "x.trusted.dev"])),
      "edge",
    );
    assert.ok(!("pending" in ok));
    await refused(
      as.dev.submitDeploy(await fnDir("leaker", {}, egress(["api.example.com", "evil.example.org"])), "edge"),
      "PolicyDenied",
      /rule known-hosts-only \(egress to evil\.example\.org is not in the allowed hosts\)/,
    );
  });
});

describe("budget rules", () => {
  it("throttle a function past its monthly budget until the budget is raised", async () => {
    const budget = (usd: number) =>
      `rules:\n  - name: tiny-budget\n    when: { budget: { monthlyUsd: ${usd} } }\n    then: throttle\n`;
    await as.admin.setPolicy(budget(0.0000001), "metered");
    await as.dev.submitDeploy(await fnDir("spender"), "metered");
    for (let i = 0; i < 3; i++) await as.dev.invoke("spender", {}, "metered");
    await eventually(async () => {
      const usage = await t.server.store.usage({ env: "metered", since: 0, until: Date.now() + 1, by: "function" });
      assert.equal(usage[0]?.invocations, 3);
    });
    await t.server.budget.refresh();

    const err = await refused(
      as.dev.invoke("spender", {}, "metered"),
      "BudgetExceeded",
      /spender is throttled: its cost this month .* passed the \$0\.00000010 budget of rule tiny-budget/,
    );
    assert.equal(err.status, 429);
    const listed = (await as.dev.listFunctions("metered")).functions[0];
    assert.equal(listed?.throttled?.rule, "tiny-budget");
    const throttle = (await t.client.listAudit({ action: "budget.throttle" })).records[0];
    assert.equal(throttle?.actor.name, "system");
    assert.equal(throttle?.function, "spender");

    await as.admin.setPolicy(budget(100), "metered");
    await as.dev.invoke("spender", {}, "metered");
    assert.equal((await as.dev.listFunctions("metered")).functions[0]?.throttled, null);
    const release = (await t.client.listAudit({ action: "budget.release" })).records[0];
    assert.equal(release?.function, "spender");
  });
});
