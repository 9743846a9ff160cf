// The real `pave policy`, `pave deploy` held for an approval, `pave approvals`, `pave approve` and `pave reject`
// against a real server: what each prints, and the one-line errors of an invalid policy file.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createToken } from "../../src/auth/index.ts";
import {
  type CliRun,
  manifestYaml,
  removeFunctionDirs,
  runPave,
  startTestServer,
  type TestServer,
  writeFunction,
} from "./helpers.ts";

let t: TestServer;
const tokens: Record<string, string> = {};
before(async () => {
  t = await startTestServer();
  for (const [name, role] of [
    ["dev", "developer"],
    ["op", "operator"],
  ] as const) {
    tokens[name] = (await createToken(t.server.store, { name, role, now: Date.now() })).token;
  }
  tokens.admin = t.server.adminToken as string;
});
after(async () => {
  await t.close();
  await removeFunctionDirs();
});

function pave(args: string[], as: string): Promise<CliRun> {
  return runPave(t, args, { env: { PAVE_TOKEN: tokens[as] } });
}

describe("pave policy and approvals", () => {
  it("shows the default policy, holds a big deploy, and approves and rejects through the CLI", async () => {
    const shown = await pave(["policy", "show"], "dev");
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, /^# the default policy \(prod has none of its own/);
    assert.match(shown.out, /name: memory-too-large/);

    const dir = await writeFunction({
      "pave.yaml": manifestYaml("big", { memory: 1024 }),
      "src/index.ts": `export default { fetch: () => new Response("hi") };`,
    });
    const held = await pave(["deploy", dir], "dev");
    assert.equal(held.code, 0, held.err);
    const id = /pave approve (\S+)/.exec(held.out)?.[1];
    assert.ok(id, held.out);
    assert.match(held.out, /rule memory-large: memory 1024 MB is above 512 and at most 4096/);
    assert.match(held.out, /waiting for approval by an operator: pave approve /);

    const listed = await pave(["approvals"], "op");
    assert.match(listed.out, new RegExp(`${id}\\s+big\\s+dev\\s+operator\\s+memory-large`));
    const own = await pave(["approve", id], "dev");
    assert.notEqual(own.code, 0);
    assert.match(own.err, /Forbidden.*token dev requested pending deployment/);
    const ok = await pave(["approve", id], "op");
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^approved .*: deployed big version \w+ \(v1\) → live on behalf of dev/);

    const again = await pave(["deploy", dir, "--env", "staging"], "dev");
    const second = /pave approve (\S+)/.exec(again.out)?.[1] as string;
    const rejected = await pave(["reject", second, "--reason", "not in staging"], "op");
    assert.equal(rejected.code, 0, rejected.err);
    assert.match(rejected.out, /^rejected .* \(big, requested by dev\)/);
  });

  it("refuses an invalid policy file with its line, and sets a valid one", async () => {
    const bad = join(t.server.dataDir, "bad.yaml");
    writeFileSync(bad, "rules:\n  - name: x\n    then: perhaps\n");
    const r = await pave(["policy", "set", bad], "admin");
    assert.notEqual(r.code, 0);
    assert.match(r.err, /PolicyInvalid.*bad\.yaml:3: rules\.0\.then/);
    const good = join(t.server.dataDir, "good.yaml");
    writeFileSync(good, "rules:\n  - name: all-allowed\n    then: allow\n");
    const set = await pave(["policy", "set", good, "--env", "staging"], "admin");
    assert.equal(set.code, 0, set.err);
    assert.equal(set.out, "staging policy is now v1: all-allowed\n");
  });
});
