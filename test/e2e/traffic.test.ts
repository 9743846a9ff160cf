// Traffic end to end on a real server: weighted canaries, sticky A/B assignment, rollback, promote, diff, aliases
// and shadow mode. Bounds are loose and conditions polled: the machine running this may be slow and busy.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DeployMode } from "../../src/client/index.ts";
import {
  eventually,
  manifestYaml,
  removeFunctionDirs,
  startTestServer,
  type TestServer,
  writeFunction,
} from "./helpers.ts";

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
  await removeFunctionDirs();
});

/** A function that answers `body`. */
const answering = (body: string, extra = "") =>
  `export default { async fetch(request, env) { ${extra} return new Response(${JSON.stringify(body)}); } };`;

async function deploy(
  name: string,
  source: string,
  opts: { env?: string; mode?: DeployMode; manifest?: Record<string, string | number> } = {},
) {
  const dir = await writeFunction({ "pave.yaml": manifestYaml(name, opts.manifest), "src/index.ts": source });
  return t.client.deploy(dir, opts.env ?? "prod", opts.mode ?? {});
}

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.server.url}/fn/${path}`, { headers });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** `count` requests, `width` at a time, tallied by body. */
async function tally(path: string, count: number, width = 8): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < count; i += width) {
    const batch = await Promise.all(Array.from({ length: Math.min(width, count - i) }, () => get(path)));
    for (const r of batch) seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
  }
  return seen;
}

describe("canary splits", () => {
  it("serves the canary to about its weight of requests", async () => {
    await deploy("split", answering("one"));
    const out = await deploy("split", answering("two"), { mode: { canary: "10%" } });
    assert.deepEqual(
      out.split.map((s) => s.weight),
      [90, 10],
    );
    const seen = await tally("split/", 400);
    const two = seen.get("two") ?? 0;
    assert.equal((seen.get("one") ?? 0) + two, 400);
    // 10% of 400 is 40; ±6% of 400 is a generous band for a fair coin.
    assert.ok(two >= 16 && two <= 64, `canary served ${two} of 400`);
  });

  it("gives a client key the same version every time, and keeps it there when the canary grows", async () => {
    await deploy("sticky", answering("base"));
    await deploy("sticky", answering("canary"), { mode: { canary: 10 } });
    const keys = Array.from({ length: 60 }, (_, i) => `user-${i}`);
    const first = new Map<string, string>();
    for (const key of keys) {
      const a = await get("sticky/", { "x-pave-client": key });
      const b = await get("sticky/", { "x-pave-client": key });
      const c = await get("sticky/", { cookie: `theme=dark; pave-client=${key}` });
      assert.equal(a.body, b.body, `${key} moved between versions`);
      assert.equal(a.body, c.body, `${key} by cookie got another version than by header`);
      first.set(key, a.body);
    }
    const versions = (await t.client.listVersions("sticky")).versions;
    const [canary, base] = versions; // newest first
    await t.client.setAlias("sticky", "live", {
      split: [
        { version: base?.id as string, weight: 50 },
        { version: canary?.id as string, weight: 50 },
      ],
    });
    for (const [key, was] of first) {
      if (was !== "canary") continue;
      assert.equal((await get("sticky/", { "x-pave-client": key })).body, "canary", `${key} left the canary at 50%`);
    }
  });

  it("refuses canary percentages outside 1–99 and a canary with nothing live", async () => {
    await deploy("bad-canary", answering("one"));
    for (const canary of ["0%", "100%", "abc", 0, 100]) {
      await assert.rejects(
        deploy("bad-canary", answering("two"), { mode: { canary } }),
        (err: Error & { code: string }) => {
          assert.equal(err.code, "BadRequest");
          assert.match(err.message, /canary percentage must be a whole number from 1 to 99/);
          return true;
        },
      );
    }
    await assert.rejects(deploy("bad-shadow", answering("x"), { mode: { shadow: "101" } }), { code: "BadRequest" });
    await assert.rejects(deploy("fresh-canary", answering("x"), { mode: { canary: 10 } }), (err: Error) =>
      /needs a live version/.test(err.message),
    );
  });

  it("a full deploy during a canary replaces it, and says so", async () => {
    await deploy("replace", answering("one"));
    const canary = await deploy("replace", answering("two"), { mode: { canary: 20 } });
    const full = await deploy("replace", answering("three"));
    assert.deepEqual(full.split, [{ version: full.version.id, weight: 100 }]);
    assert.equal(full.replacedCanary, canary.version.id);
  });
});

describe("rollback", () => {
  it("is instant, steps back through history, and goes --to a named version", async () => {
    const v1 = await deploy("rb", answering("one"));
    await deploy("rb", answering("two"));
    await deploy("rb", answering("three"));
    assert.equal((await get("rb/")).body, "three");
    const back = await t.client.rollback("rb");
    assert.equal((await get("rb/")).body, "two"); // the very next request
    assert.equal(back.version, (await t.client.listVersions("rb")).versions[1]?.id);
    await t.client.rollback("rb");
    assert.equal((await get("rb/")).body, "one");
    await assert.rejects(t.client.rollback("rb"), { code: "NoPreviousVersion" });
    await t.client.rollback("rb", "3");
    assert.equal((await get("rb/")).body, "three");
    await t.client.rollback("rb", v1.version.id.slice(0, 6));
    assert.equal((await get("rb/")).body, "one");
    const history = (await t.client.aliasHistory("rb", "live")).history;
    assert.deepEqual(
      history.map((h) => h.reason),
      ["rollback", "rollback", "rollback", "rollback", "deploy", "deploy", "deploy"],
    );
    assert.equal(history[0]?.by, "admin");
  });

  it("during a canary returns live to its baseline", async () => {
    await deploy("rb-canary", answering("base"));
    await deploy("rb-canary", answering("canary"), { mode: { canary: 50 } });
    const out = await t.client.rollback("rb-canary");
    assert.equal(out.to.split.length, 1);
    const seen = await tally("rb-canary/", 20);
    assert.deepEqual([...seen.keys()], ["base"]);
  });
});

describe("promote", () => {
  before(async () => {
    await t.client.createEnvironment({ name: "staging" });
  });

  it("copies the exact version from staging to prod and makes it live", async () => {
    // A timeout of whole seconds: a stored manifest (timeout in ms) must not be read again as if written by hand.
    const staged = await deploy("promo", answering("staged"), { env: "staging", manifest: { timeout: "10s" } });
    await deploy("promo", answering("old prod"));
    const out = await t.client.promote("promo", { from: "staging", to: "prod" });
    assert.ok(!("pending" in out), "the default policy lets a 128 MB version through");
    assert.equal(out.version.id, staged.version.id);
    const [a, b] = await Promise.all([
      t.server.store.getVersion("staging", "promo", staged.version.id),
      t.server.store.getVersion("prod", "promo", staged.version.id),
    ]);
    assert.ok(a && b);
    assert.equal(b.bundle, a.bundle);
    assert.equal(b.manifest, a.manifest);
    assert.equal((await get("promo/")).body, "staged");
  });

  it("refuses an unknown version, function or environment precisely", async () => {
    await deploy("promo-bad", answering("x"), { env: "staging" });
    await assert.rejects(t.client.promote("promo-bad", { from: "staging", to: "prod", version: "ffffffffffff" }), {
      code: "VersionNotFound",
    });
    await assert.rejects(t.client.promote("promo-bad", { from: "nowhere", to: "prod" }), {
      code: "EnvironmentNotFound",
    });
    await assert.rejects(t.client.promote("no-such-fn", { from: "staging", to: "prod" }), { code: "FunctionNotFound" });
  });
});

describe("versions, diff and aliases", () => {
  it("lists versions with the aliases on them and diffs manifest and code", async () => {
    await deploy("dif", answering("one"), { manifest: { memory: 128 } });
    await deploy("dif", answering("two"), { manifest: { memory: 256 } });
    const { versions } = await t.client.listVersions("dif");
    assert.deepEqual(
      versions.map((v) => [v.seq, v.live, v.aliases]),
      [
        [2, true, [{ alias: "live", weight: 100 }]],
        [1, false, []],
      ],
    );
    const diff = await t.client.diffVersions("dif", "1", "live");
    assert.deepEqual(diff.manifest, [{ key: "memory", from: 128, to: 256 }]);
    assert.match(diff.code, /^-.*"one"/m);
    assert.match(diff.code, /^\+.*"two"/m);
    assert.match(diff.code, /^@@ -\d+,\d+ \+\d+,\d+ @@/m);
    await assert.rejects(t.client.diffVersions("dif", "1", "9"), { code: "VersionNotFound" });
  });

  it("serves another alias at /fn/NAME@ALIAS, removes it, and never removes live", async () => {
    await deploy("al", answering("one"));
    await deploy("al", answering("two"));
    await t.client.setAlias("al", "staging", { split: [{ version: "v1", weight: 100 }] });
    assert.equal((await get("al@staging/")).body, "one");
    assert.equal((await get("al/")).body, "two");
    assert.deepEqual(
      (await t.client.listAliases("al")).aliases.map((a) => a.name),
      ["live", "staging"],
    );
    await t.client.deleteAlias("al", "staging");
    const gone = await get("al@staging/");
    assert.equal(gone.status, 404);
    assert.equal(JSON.parse(gone.body).error.code, "AliasNotFound");
    await assert.rejects(t.client.deleteAlias("al", "live"), { code: "BadRequest" });
    await assert.rejects(t.client.deleteAlias("al", "nope"), { code: "AliasNotFound" });
    await assert.rejects(t.client.setAlias("al", "x", { split: [{ version: "1", weight: 60 }] }), {
      code: "BadRequest",
    });
  });
});

describe("shadow", () => {
  const kv = { bindings: "\n  kv:\n    STORE: { namespace: shadowed }" };

  it("mirrors requests after the primary answers, records both, and refuses the shadow's kv writes", async () => {
    await deploy("sh", answering("primary"), { manifest: kv });
    // Throws (its kv write is refused) after being slow: neither may touch the primary's answer.
    const slowWriter = answering(
      "shadow",
      `await new Promise((r) => setTimeout(r, 200)); await env.STORE.put("k", "from shadow");`,
    );
    const out = await deploy("sh", slowWriter, { mode: { shadow: "100%" }, manifest: kv });
    assert.equal(out.shadow?.percent, 100);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await get("sh/");
      assert.equal(r.status, 200);
      assert.equal(r.body, "primary");
      ids.push(r.headers.get("x-pave-activation-id") as string);
    }
    const shadows = await eventually(
      async () => {
        const { activations } = await t.client.listActivations({ function: "sh", trigger: "shadow" });
        assert.equal(activations.length, 5);
        return activations;
      },
      20_000,
      100,
    );
    for (const s of shadows) {
      assert.ok(ids.includes(s.shadowOf as string), "a shadow links to its primary");
      assert.equal(s.version, out.version.id);
      assert.equal(s.status, "error");
      assert.match(s.errorMessage ?? "", /BindingDenied.*shadow/);
    }
    await assert.rejects(t.client.getKvValue("shadowed", "k"), { code: "KeyNotFound" });
    const report = await t.client.shadowReport("sh");
    assert.equal(report.pairs, 5);
    assert.equal(report.shadow.errorRate, 1);
    assert.equal(report.primary.errorRate, 0);
    assert.equal(report.bodyMatchRate, 0);
  });

  it("compares bodies, and lets writes through when the operator allows them", async () => {
    await deploy("sh-ok", answering("same"), { manifest: kv });
    await deploy("sh-ok", answering("same", `await env.STORE.put("k", "written");`), {
      mode: { shadow: 100, shadowWrites: true },
      manifest: kv,
    });
    assert.equal((await get("sh-ok/")).body, "same");
    const report = await eventually(
      async () => {
        const r = await t.client.shadowReport("sh-ok");
        assert.equal(r.pairs, 1);
        return r;
      },
      20_000,
      100,
    );
    assert.equal(report.bodyMatchRate, 1);
    assert.equal(report.statusMatchRate, 1);
    assert.equal(new TextDecoder().decode((await t.client.getKvValue("shadowed", "k")).value), "written");
  });
});
