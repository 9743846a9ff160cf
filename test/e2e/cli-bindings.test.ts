// The real `pave` binary against a real server: `pave secret`, `pave kv` and `pave topic`, their output, --json,
// exit codes and error lines; a secret's value goes in on stdin and never comes out.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type CliRun, runPave, startTestServer, type TestServer } from "./helpers.ts";

const BIN = fileURLToPath(new URL("../../bin/pave.js", import.meta.url));

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(() => t.close());

/** Runs `pave ARGS` with the server's URL and token in the environment and `input` on stdin. */
function pave(args: string[], input: string | Uint8Array = ""): Promise<CliRun> {
  return runPave(t, args, { input });
}

async function opened(name: string, env = "prod"): Promise<string | undefined> {
  const sealed = (await t.server.store.getSecrets(env, [name])).get(name);
  return sealed && t.server.secretBox.open(env, name, sealed);
}

describe("pave secret", () => {
  it("sets from stdin without one trailing newline, lists, removes; the value is never printed", async () => {
    const value = `cli-secret-${randomUUID()}`;
    const set = await pave(["secret", "set", "API_KEY"], `${value}\n`);
    assert.equal(set.code, 0, set.err);
    assert.equal(set.out, "set secret API_KEY in prod\n");
    assert.equal(await opened("API_KEY"), value);

    const replaced = await pave(["secret", "set", "API_KEY", "--json"], `${value}\r\n\n`);
    assert.equal(replaced.code, 0, replaced.err);
    assert.equal(JSON.parse(replaced.out).created, false);
    assert.equal(await opened("API_KEY"), `${value}\r\n`, "only one trailing newline is dropped");

    const staged = await pave(["secret", "set", "API_KEY", "--env", "staging"], value);
    assert.equal(staged.out, "set secret API_KEY in staging\n");
    assert.equal(await opened("API_KEY", "staging"), value);

    const ls = await pave(["secret", "ls"]);
    assert.equal(ls.code, 0, ls.err);
    assert.match(ls.out, /^NAME\s+CREATED\s+UPDATED\nAPI_KEY\s+/);
    const json = JSON.parse((await pave(["secret", "ls", "--json"])).out) as { secrets: { name: string }[] };
    assert.deepEqual(
      json.secrets.map((s) => s.name),
      ["API_KEY"],
    );

    const rm = await pave(["secret", "rm", "API_KEY"]);
    assert.equal(rm.code, 0, rm.err);
    assert.equal(rm.out, "removed secret API_KEY from prod\n");
    const again = await pave(["secret", "rm", "API_KEY"]);
    assert.equal(again.code, 1);
    assert.equal(
      again.err,
      "error: SecretNotFound: no secret API_KEY in environment prod\n  hint: see `pave secret ls`\n",
    );
    assert.equal(
      (await pave(["secret", "ls"])).out,
      'no secrets in prod; set one with `printf %s "$VALUE" | pave secret set NAME`\n',
    );

    for (const run of [set, replaced, staged, ls, rm, again]) {
      assert.equal(run.out.includes(value) || run.err.includes(value), false);
    }
  });

  // util-linux `script` gives the command a terminal for stdin; where it is missing, test/cli/stdin.test.ts covers it.
  const hasScript = process.platform === "linux" && spawnSync("script", ["--version"]).status === 0;
  it("refuses a terminal on stdin, telling how to pipe the value", { skip: !hasScript }, () => {
    const r = spawnSync(
      "script",
      ["-qec", `${process.execPath} --no-node-snapshot ${BIN} secret set API_KEY`, "/dev/null"],
      {
        env: {
          PATH: process.env.PATH,
          PAVE_URL: t.server.url,
          PAVE_TOKEN: t.server.adminToken,
          PAVE_CONFIG: "/nonexistent",
        },
        stdio: ["ignore", "pipe", "pipe"],
        encoding: "utf8",
      },
    );
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /error: pave secret set reads the value from stdin, so it stays out of your shell history; pipe it in: `printf %s "\$VALUE" \| pave secret set API_KEY`/,
    );
  });

  it("refuses an empty value (exit 2) and a bad name (exit 1) with one clear line", async () => {
    const empty = await pave(["secret", "set", "EMPTY"], "\n");
    assert.equal(empty.code, 2);
    assert.match(
      empty.err,
      /^error: the secret value on stdin is empty; .*printf %s "\$VALUE" \| pave secret set EMPTY/,
    );
    assert.equal(await opened("EMPTY"), undefined);

    const bad = await pave(["secret", "set", "lower"], "v");
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^error: BadRequest: path\.name: an UPPER_SNAKE_CASE secret name/);

    const binary = await pave(["secret", "set", "BINARY"], new Uint8Array([0xff, 0xfe]));
    assert.equal(binary.code, 2);
    assert.equal(binary.err, "error: the secret value on stdin is not valid UTF-8 text\n");
  });
});

describe("pave kv", () => {
  it("puts from an argument or stdin, gets raw bytes, lists with prefix and limit, removes", async () => {
    const put = await pave(["kv", "put", "carts", "user:1", "hello", "--ttl", "1h"]);
    assert.equal(put.code, 0, put.err);
    assert.match(put.out, /^wrote 5 bytes to carts\/user:1 in prod, expires \d{4}-\d\d-\d\d .* \(in (59m5\ds|1h)\)\n$/);
    const get = await pave(["kv", "get", "carts", "user:1"]);
    assert.equal(get.code, 0, get.err);
    assert.equal(get.out, "hello", "exactly the bytes, no newline added");

    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    assert.equal((await pave(["kv", "put", "carts", "user:2"], all)).code, 0);
    assert.deepEqual([...(await pave(["kv", "get", "carts", "user:2"])).stdout], [...all]);
    const asJson = JSON.parse((await pave(["kv", "get", "carts", "user:2", "--json"])).out);
    assert.deepEqual(
      { ...asJson, value: Buffer.from(asJson.value, "base64").equals(all) },
      { namespace: "carts", key: "user:2", env: "prod", bytes: 256, expiresAt: null, value: true, encoding: "base64" },
    );

    const ls = await pave(["kv", "ls", "carts", "--prefix", "user:", "--limit", "1"]);
    assert.equal(ls.code, 0, ls.err);
    assert.match(ls.out, /^KEY\s+EXPIRES\nuser:1\s+\d{4}-/);
    assert.equal(ls.err, 'more keys: pave kv ls carts --cursor "user:1"\n');
    const next = await pave(["kv", "ls", "carts", "--prefix", "user:", "--cursor", "user:1", "--json"]);
    assert.deepEqual(JSON.parse(next.out), { keys: [{ name: "user:2", expiresAt: null }], cursor: null });

    const rm = await pave(["kv", "rm", "carts", "user:1"]);
    assert.equal(rm.out, "deleted carts/user:1 from prod\n");
    const gone = await pave(["kv", "get", "carts", "user:1"]);
    assert.equal(gone.code, 1);
    assert.match(
      gone.err,
      /^error: KeyNotFound: no key "user:1" in kv namespace carts of environment prod\n {2}hint: see `pave kv ls NAMESPACE`\n$/,
    );
  });

  it("rejects a bad --ttl or --limit as a usage error (exit 2) before calling the server", async () => {
    const ttl = await pave(["kv", "put", "carts", "k", "v", "--ttl", "5x"]);
    assert.equal(ttl.code, 2);
    assert.match(ttl.err, /Expected a duration like 90s, 30m, 1h or 7d/);
    const limit = await pave(["kv", "ls", "carts", "--limit", "0"]);
    assert.equal(limit.code, 2);
    assert.equal((await t.client.listKvKeys("carts", { prefix: "k" })).keys.length, 0);
  });

  it("reports the server's limits with their codes", async () => {
    const long = await pave(["kv", "put", "carts", "k".repeat(513), "v"]);
    assert.equal(long.code, 1);
    assert.match(long.err, /^error: KvKeyInvalid: a kv key is at most 512 bytes/);
    const big = await pave(["kv", "put", "carts", "big", "--json"], new Uint8Array(1024 * 1024 + 1));
    assert.equal(big.code, 1);
    assert.equal(JSON.parse(big.out).error.code, "KvValueTooLarge");
  });
});

describe("pave topic", () => {
  it("creates once, says so the second time, and lists", async () => {
    const first = await pave(["topic", "create", "orders"]);
    assert.equal(first.code, 0, first.err);
    assert.equal(first.out, "created topic orders in prod\n");
    assert.equal((await pave(["topic", "create", "orders"])).out, "topic orders already exists in prod\n");
    const ls = await pave(["topic", "ls"]);
    // A topic without subscribers has no backlog to show: dashes in the subscription columns.
    assert.match(ls.out, /^NAME\s+CREATED\s+SUBSCRIBER\s+DEPTH\s+OLDEST\s+DEAD\norders\s+\S+ ago\s+-\s+-\s+-\s+-\n/);
    const json = JSON.parse((await pave(["topic", "ls", "--json"])).out) as { topics: { name: string }[] };
    assert.deepEqual(
      json.topics.map((x) => x.name),
      ["orders"],
    );
    const bad = await pave(["topic", "create", "Orders"]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^error: BadRequest: body\.name: a topic name/);
  });
});
