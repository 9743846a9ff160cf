// What the backup round-trip tests put into a store and check after a restore, the same for SQLite and PostgreSQL:
// functions with several versions, an alias split, kv, a secret, activations and the audit chain.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { PaveClient } from "../../src/client/index.ts";
import { eventually, runPave, type TestServer, writeFunction } from "./helpers.ts";

const GREET_YAML = `name: greet
entry: src/index.ts
timeout: 2s
bindings:
  kv: { NOTES: { namespace: notes } }
  secrets: [GREETING]
`;

const greet = (label: string) => `export default {
  async fetch(request, env) {
    await env.NOTES.put("last", "${label}");
    return new Response(env.GREETING + ":${label}");
  },
};`;

const counter = (label: string) => `export default {
  fetch() { console.log("tick ${label}"); return new Response("${label}"); },
};`;

export interface Populated {
  /** The secret's plaintext: it must reach the function after a restore and never appear in the backup file. */
  secret: string;
  /** An activation recorded before the backup: it must be there after the restore. */
  activationId: string;
  /** How many invocations were made. */
  invocations: number;
}

/** Deploys two functions (2 and 3 versions), splits an alias, writes kv and a secret, and invokes them. */
export async function populate(t: TestServer): Promise<Populated> {
  const { client } = t;
  const secret = `plaintext-${randomBytes(12).toString("hex")}`;
  await client.setSecret("GREETING", secret);
  for (const label of ["g1", "g2"]) {
    await client.deploy(await writeFunction({ "pave.yaml": GREET_YAML, "src/index.ts": greet(label) }));
  }
  const counters: string[] = [];
  for (const label of ["c1", "c2", "c3"]) {
    const yaml = "name: counter\nentry: src/index.ts\ntimeout: 2s\n";
    const out = await client.deploy(await writeFunction({ "pave.yaml": yaml, "src/index.ts": counter(label) }));
    counters.push(out.version.id);
  }
  await client.setAlias("counter", "live", {
    split: [
      { version: counters[1]!, weight: 30 },
      { version: counters[2]!, weight: 70 },
    ],
  });
  await client.setAlias("counter", "stable", { split: [{ version: counters[0]!, weight: 100 }] });
  await client.putKvValue("notes", "first", "one");
  await client.putKvValue("notes", "second", "two");
  const res = await fetch(`${t.server.url}/fn/greet/`);
  assert.equal(await res.text(), `${secret}:g2`);
  const activationId = res.headers.get("x-pave-activation-id")!;
  let invocations = 1;
  for (let i = 0; i < 60; i++) {
    await (await fetch(`${t.server.url}/fn/counter/`)).text();
    invocations++;
  }
  await eventually(async () => assert.equal(await countActivations(client), invocations), 10_000);
  return { secret, activationId, invocations };
}

/** Every activation, through the API (a page at a time). */
export async function countActivations(client: PaveClient): Promise<number> {
  let n = 0;
  for (const fn of ["greet", "counter"]) {
    n += (await client.listActivations({ function: fn, limit: 1000 })).activations.length;
  }
  return n;
}

/** What a restore must bring back unchanged: everything but activations, which a running node keeps adding. */
export async function snapshot(client: PaveClient) {
  const functions = (await client.listFunctions()).functions.map((f) => f.name).sort();
  const versions = Object.fromEntries(
    await Promise.all(
      functions.map(async (f) => [f, (await client.listVersions(f)).versions.map((v) => v.id)] as const),
    ),
  );
  const aliases = Object.fromEntries(
    await Promise.all(
      functions.map(
        async (f) =>
          [
            f,
            (await client.listAliases(f)).aliases.map((a) => ({ name: a.name, split: a.split })).sort(byName),
          ] as const,
      ),
    ),
  );
  const keys = (await client.listKvKeys("notes")).keys.map((k) => k.name).sort();
  const kv = Object.fromEntries(
    await Promise.all(
      keys.map(async (k) => [k, new TextDecoder().decode((await client.getKvValue("notes", k)).value)] as const),
    ),
  );
  const secrets = (await client.listSecrets()).secrets.map((s) => s.name);
  const tokens = (await client.listTokens()).tokens.map((tk) => tk.id);
  return { functions, versions, aliases, kv, secrets, tokens };
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

/**
 * Checks a restored node against the original's snapshot: the same records, the secret opening (so the key is the
 * same and the value was still sealed), the activation recorded before the backup, and an intact audit chain.
 */
export async function checkRestored(
  t: TestServer,
  before: Awaited<ReturnType<typeof snapshot>>,
  populated: Populated,
): Promise<void> {
  assert.deepEqual(await snapshot(t.client), before);
  assert.equal((await t.client.getActivation(populated.activationId)).activation.id, populated.activationId);
  const res = await fetch(`${t.server.url}/fn/greet/`);
  assert.equal(await res.text(), `${populated.secret}:g2`);
  const verify = await runPave(t, ["audit", "verify", "--json"]);
  assert.equal(verify.code, 0, verify.out + verify.err);
  const report = JSON.parse(verify.out) as { ok: boolean; checked: number };
  assert.equal(report.ok, true);
  assert.ok(report.checked >= 8, `the chain holds the deploys, alias moves and secret (${report.checked})`);
}

/**
 * Invokes `counter` in a loop until `stop` resolves: the load a backup runs under. Returns how many calls were made,
 * whether all of them succeeded, and the slowest one (a backup that blocked the server would show there).
 */
export async function underLoad<T>(
  url: string,
  work: () => Promise<T>,
): Promise<{ result: T; calls: number; failures: number; slowestMs: number }> {
  let done = false;
  let calls = 0;
  let failures = 0;
  let slowestMs = 0;
  const loop = async () => {
    while (!done) {
      const started = performance.now();
      const res = await fetch(`${url}/fn/counter/`);
      await res.text();
      slowestMs = Math.max(slowestMs, performance.now() - started);
      calls++;
      if (res.status !== 200) failures++;
    }
  };
  const loops = [loop(), loop()];
  // Let the load get going first, so the backup really overlaps it.
  await eventually(() => assert.ok(calls >= 10), 10_000);
  try {
    const result = await work();
    return { result, calls, failures, slowestMs };
  } finally {
    done = true;
    await Promise.all(loops);
  }
}
