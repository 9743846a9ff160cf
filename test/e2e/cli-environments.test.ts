// The real `pave env` commands and `pave ls --stale` against a real server: a copy naming the secrets still to set,
// the listing, refusals with their hint and exit code, and a bad flag as a usage error before any request.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type CliRun, deploySource, removeFunctionDirs, runPave, startTestServer, type TestServer } from "./helpers.ts";

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
  await removeFunctionDirs();
});

function pave(args: string[]): Promise<CliRun> {
  return runPave(t, args);
}

describe("pave env", () => {
  it("create --from copies and names the missing secrets; ls lists; rm refuses prod with a hint", async () => {
    await deploySource(t.client, "pay", "export default { fetch: (r, env) => new Response(String(env.PAY_KEY)) };", {
      bindings: "\n  secrets: [PAY_KEY]",
    });
    const created = await pave(["env", "create", "pr-9", "--from", "prod", "--ttl", "72h"]);
    assert.equal(created.code, 0, created.err);
    assert.match(created.out, /^created environment pr-9 from prod, expires \d{4}-\d\d-\d\d /);
    assert.match(
      created.out,
      /copied 1 functions \(1 versions, 1 aliases\), 0 schedules, 0 topics; kv data and secrets are not copied/,
    );
    assert.match(created.out, /missing secret PAY_KEY \(needed by pay\): pave secret set PAY_KEY --env pr-9\n$/);

    const ls = await pave(["env", "ls"]);
    assert.equal(ls.code, 0, ls.err);
    assert.match(ls.out, /^NAME +CREATED +FROM +EXPIRES +FUNCTIONS +LAST INVOKED +COST \(MONTH\)\n/);
    assert.match(ls.out, /\npr-9 +just now|\npr-9 +\d+s ago/);

    const prod = await pave(["env", "rm", "prod"]);
    assert.equal(prod.code, 1);
    assert.match(prod.err, /^error: EnvironmentProtected: prod is always present/);
    assert.match(prod.err, /hint: prod is always present; remove its functions one by one/);

    const full = await pave(["env", "rm", "pr-9"]);
    assert.equal(full.code, 1);
    assert.match(full.err, /EnvironmentNotEmpty: environment pr-9 still holds 1 functions/);
    const forced = await pave(["env", "rm", "pr-9", "--force", "--json"]);
    assert.equal(forced.code, 0, forced.err);
    assert.equal(JSON.parse(forced.out).removed.functions, 1);
  });

  it("a bad --ttl or --stale is a usage error; ls --stale says when nothing is stale", async () => {
    const ttl = await pave(["env", "create", "pr-10", "--ttl", "soon"]);
    assert.equal(ttl.code, 2);
    assert.match(ttl.err, /Expected a duration/);
    const stale = await pave(["ls", "--stale", "30d"]);
    assert.equal(stale.code, 0, stale.err);
    assert.match(stale.out, /^no stale functions in prod/);
  });
});
