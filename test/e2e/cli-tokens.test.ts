// The real `pave token` commands against a real server: the secret printed once (alone on stdout, or under
// `token` with --json), ls, revoke, usage errors, and PAVE_TOKEN winning over the config file `pave up` wrote.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type CliRun, runPave, startTestServer, type TestServer } from "./helpers.ts";

let t: TestServer;
let configDir: string;
let PAVE_CONFIG: string;
before(async () => {
  t = await startTestServer();
  configDir = mkdtempSync(join(tmpdir(), "pave-cli-config-"));
  PAVE_CONFIG = join(configDir, "config.json");
  // What `pave up` writes: this server's URL and its admin token.
  writeFileSync(PAVE_CONFIG, JSON.stringify({ url: t.server.url, token: t.server.adminToken }));
});
after(async () => {
  rmSync(configDir, { recursive: true, force: true });
  await t.close();
});

/** Runs `pave ARGS` against the server, with the config file and `env` added to a bare environment. */
/** The CLI with the config file (the admin token) and no PAVE_TOKEN unless `env` sets one. */
function pave(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runPave(t, args, { env: { PAVE_TOKEN: undefined, PAVE_CONFIG, ...env } });
}

describe("pave token", () => {
  it("creates a token, printing its secret once alone on stdout and the warning on stderr", async () => {
    const r = await pave(["token", "create", "--role", "viewer", "--env", "staging,feature-x", "--name", "dash"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^pave_[A-Za-z0-9_-]{43}\n$/);
    assert.match(r.err, /created token dash \(.+\): viewer on feature-x,staging, expires never/);
    assert.match(r.err, /not shown again/);
  });

  it("--json gives the secret under `token`; ls lists it; revoke stops it", async () => {
    const created = await pave([
      "token",
      "create",
      "--role",
      "developer",
      "--env",
      "staging",
      "--ttl",
      "30d",
      "--json",
    ]);
    assert.equal(created.code, 0, created.err);
    const out = JSON.parse(created.out) as {
      token: string;
      id: string;
      role: string;
      envs: string[];
      expiresAt: number;
    };
    assert.match(out.token, /^pave_/);
    assert.equal(out.role, "developer");
    assert.deepEqual(out.envs, ["staging"]);
    assert.ok(out.expiresAt > Date.now() + 29 * 86_400_000);

    const ls = await pave(["token", "ls"]);
    assert.equal(ls.code, 0, ls.err);
    assert.match(ls.out, /^ID +NAME +ROLE +ENVS +CREATED +EXPIRES +STATE$/m);
    assert.match(ls.out, new RegExp(`^${out.id} +developer +developer +staging .+ active$`, "m"));
    assert.match(ls.out, / admin +admin +\* \(all\) .+ never +active \(this token\)$/m);
    assert.ok(!ls.out.includes(out.token));

    const revoke = await pave(["token", "revoke", out.id]);
    assert.equal(revoke.code, 0, revoke.err);
    assert.match(revoke.out, new RegExp(`revoked token developer \\(${out.id}\\)`));
    const after = await pave(["ls", "--env", "staging"], { PAVE_TOKEN: out.token });
    assert.equal(after.code, 1);
    assert.match(after.err, /^error: Unauthorized: token developer .+ was revoked at/);
  });

  it("uses PAVE_TOKEN over the config file's token", async () => {
    const { token } = await t.client.createToken({ role: "viewer", name: "env-viewer" });
    const r = await pave(["token", "ls"], { PAVE_TOKEN: token });
    assert.equal(r.code, 1);
    assert.match(r.err, /error: Forbidden: GET \/api\/v1\/tokens needs the admin role; token env-viewer has viewer/);
    assert.equal((await pave(["ls"], { PAVE_TOKEN: token })).code, 0);
  });

  it("refuses a bad role or ttl before calling the server, and an unknown id after", async () => {
    const role = await pave(["token", "create", "--role", "root"]);
    assert.equal(role.code, 2);
    assert.match(role.err, /Allowed choices are viewer, developer, operator, admin/);
    const ttl = await pave(["token", "create", "--role", "viewer", "--ttl", "5w"]);
    assert.equal(ttl.code, 2);
    assert.match(ttl.err, /Expected a duration like 30s, 5m, 1h or 30d/);
    const missing = await pave(["token", "revoke", "nope"]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /error: TokenNotFound: no token nope; see `pave token ls`/);
  });
});
