// Secrets through a real server: set, list, replace and remove over the API with their roles and limits; values are
// sealed (the SQLite files never hold them), never come back in any answer or log line, and still open after a
// restart on the same data directory.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createToken } from "../../src/auth/index.ts";
import { type ApiError, PaveClient } from "../../src/client/index.ts";
import { createLogger } from "../../src/logger.ts";
import { type PaveServer, startServer } from "../../src/server.ts";

/** Every value set in this file: none may ever appear in an answer, a log line or the database files. */
const secretValues: string[] = [];
function secretValue(extra = ""): string {
  const v = `pave-secret-${randomUUID()}${extra}`;
  secretValues.push(v);
  return v;
}

const logLines: string[] = [];
const answers: string[] = [];
const dataDir = mkdtempSync(join(tmpdir(), "pave-e2e-secrets-"));

async function start(env: Record<string, string> = {}): Promise<PaveServer> {
  // trace: whatever any component might log about a request, the test sees.
  const logger = createLogger("trace", { write: (line: string) => logLines.push(line) });
  return startServer({ host: "127.0.0.1", port: 0, dataDir, logger, env });
}

let server: PaveServer;
let admin: string;
const tokens: Record<"viewer" | "developer" | "operator", string> = { viewer: "", developer: "", operator: "" };

/** A raw call whose whole answer (status line, headers, body) is kept for the leak check. */
async function call(
  method: string,
  path: string,
  opts: { token?: string; body?: string; contentType?: string } = {},
): Promise<{ status: number; json: { error?: { code: string; message: string } } & Record<string, unknown> }> {
  const headers: Record<string, string> = { authorization: `Bearer ${opts.token ?? admin}` };
  if (opts.body !== undefined) headers["content-type"] = opts.contentType ?? "application/json";
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers,
    ...(opts.body !== undefined && { body: opts.body }),
  });
  const text = await res.text();
  answers.push(`${res.status} ${JSON.stringify([...res.headers])} ${text}`);
  return { status: res.status, json: text ? JSON.parse(text) : {} };
}

function assertError(r: Awaited<ReturnType<typeof call>>, status: number, code: string, message?: RegExp): void {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.equal(r.json.error?.code, code);
  if (message) assert.match(r.json.error?.message ?? "", message);
}

const put = (name: string, value: unknown, opts: { token?: string; env?: string } = {}) =>
  call("PUT", `/secrets/${name}${opts.env ? `?env=${opts.env}` : ""}`, {
    body: JSON.stringify({ value }),
    ...(opts.token && { token: opts.token }),
  });

/** What the runtime will do: fetch the sealed secret from the store and open it with the server's box. */
async function opened(s: PaveServer, name: string, env = "prod"): Promise<string | undefined> {
  const sealed = (await s.store.getSecrets(env, [name])).get(name);
  return sealed && s.secretBox.open(env, name, sealed);
}

/** Every file of the data directory (the database, its WAL, the key file) as bytes. */
function dataFiles(): Buffer[] {
  return readdirSync(dataDir).map((f) => readFileSync(join(dataDir, f)));
}

before(async () => {
  server = await start();
  admin = server.adminToken as string;
  for (const role of ["viewer", "developer", "operator"] as const) {
    tokens[role] = (await createToken(server.store, { name: role, role, now: Date.now() })).token;
  }
});

after(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("secrets over the API", () => {
  it("sets (201), replaces (200) and lists names with times, never values", async () => {
    const first = secretValue();
    const r1 = await put("STRIPE_KEY", first, { token: tokens.operator });
    assert.equal(r1.status, 201);
    assert.deepEqual({ ...r1.json, updatedAt: 0 }, { name: "STRIPE_KEY", env: "prod", created: true, updatedAt: 0 });
    assert.equal(await opened(server, "STRIPE_KEY"), first);

    const second = secretValue(" ünïcode ✓\n");
    const r2 = await put("STRIPE_KEY", second, { token: tokens.operator });
    assert.equal(r2.status, 200);
    assert.equal(r2.json.created, false);
    assert.equal(await opened(server, "STRIPE_KEY"), second);

    const list = await call("GET", "/secrets", { token: tokens.developer });
    assert.equal(list.status, 200);
    const secrets = list.json.secrets as { name: string; createdAt: number; updatedAt: number }[];
    const stripe = secrets.find((s) => s.name === "STRIPE_KEY");
    assert.ok(stripe);
    assert.deepEqual(Object.keys(stripe).sort(), ["createdAt", "name", "updatedAt"]);
    assert.equal(stripe.createdAt, r1.json.updatedAt, "createdAt survives the replacement");
    assert.equal(stripe.updatedAt, r2.json.updatedAt);
  });

  it("keeps environments apart", async () => {
    const staged = secretValue();
    assert.equal((await put("ONLY_STAGING", staged, { env: "staging" })).status, 201);
    assert.equal(await opened(server, "ONLY_STAGING", "staging"), staged);
    assert.equal(await opened(server, "ONLY_STAGING", "prod"), undefined);
    const prod = await new PaveClient({ url: server.url, token: admin }).listSecrets("prod");
    assert.equal(
      prod.secrets.some((s) => s.name === "ONLY_STAGING"),
      false,
    );
    const staging = await new PaveClient({ url: server.url, token: admin }).listSecrets("staging");
    assert.deepEqual(
      staging.secrets.map((s) => s.name),
      ["ONLY_STAGING"],
    );
  });

  it("removes a secret, and a second removal is 404 SecretNotFound", async () => {
    await put("TEMP_KEY", secretValue());
    const r = await call("DELETE", "/secrets/TEMP_KEY", { token: tokens.operator });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { deleted: true, name: "TEMP_KEY", env: "prod" });
    assert.equal(await opened(server, "TEMP_KEY"), undefined);
    assertError(
      await call("DELETE", "/secrets/TEMP_KEY"),
      404,
      "SecretNotFound",
      /no secret TEMP_KEY in environment prod/,
    );
    assertError(await call("DELETE", "/secrets/TEMP_KEY?env=staging"), 404, "SecretNotFound", /staging/);
  });

  it("answers precise 400s for bad names and values", async () => {
    for (const name of ["lower", "1ABC", "A-B", "%C3%89T%C3%89", "A".repeat(256)]) {
      assertError(await put(name, secretValue()), 400, "BadRequest", /path\.name: .*secret name/);
    }
    assertError(await put("EMPTY", ""), 400, "BadRequest", /body\.value: a secret value is at least 4 characters/);
    assertError(await put("NUMBER", 12345), 400, "BadRequest", /body\.value: .*expected string/);
    const tooBig = `${secretValue()}${"x".repeat(64 * 1024)}`;
    assertError(await put("BIG", tooBig), 400, "BadRequest", /at most 64 KiB \(65536 bytes of UTF-8\)/);
    // 21846 three-byte characters: fewer than 65536 characters, more than 65536 bytes.
    assertError(await put("WIDE", "€".repeat(21_846)), 400, "BadRequest", /at most 64 KiB/);
    assert.equal((await put("EXACTLY_64K", "y".repeat(64 * 1024))).status, 201);
    // Shorter values could not be scrubbed from logs without shredding ordinary text.
    assertError(await put("SHORT", "abc"), 400, "BadRequest", /at least 4 characters/);
    assert.equal((await put("FOUR", "wxyz")).status, 201);
    assertError(await call("PUT", "/secrets/NOBODY", { body: "" }), 400, "BadRequest");
    assertError(await call("PUT", "/secrets/NOBODY"), 400, "BadRequest", /body/);
    assertError(
      await call("PUT", "/secrets/MALFORMED", { body: `{"value": "${secretValue()}` }),
      400,
      "BadRequest",
      /not valid JSON/,
    );
    assertError(
      await call("PUT", "/secrets/WRONG_FIELD", { body: JSON.stringify({ valeu: secretValue() }) }),
      400,
      "BadRequest",
      /body\.value/,
    );
  });

  it("takes operator to set and remove, developer to list", async () => {
    assertError(await put("ROLE_KEY", secretValue(), { token: tokens.developer }), 403, "Forbidden", /operator/);
    assertError(await call("DELETE", "/secrets/STRIPE_KEY", { token: tokens.developer }), 403, "Forbidden");
    assertError(await call("GET", "/secrets", { token: tokens.viewer }), 403, "Forbidden", /developer/);
    assertError(await call("GET", "/secrets", { token: "pave_nope" }), 401, "Unauthorized");
    assert.equal(await opened(server, "ROLE_KEY"), undefined);
  });

  it("the client sets, lists and removes, and reports codes as ApiError", async () => {
    const client = new PaveClient({ url: server.url, token: admin });
    const value = secretValue();
    assert.equal((await client.setSecret("CLIENT_KEY", value)).created, true);
    assert.equal((await client.setSecret("CLIENT_KEY", value)).created, false);
    assert.ok((await client.listSecrets()).secrets.some((s) => s.name === "CLIENT_KEY"));
    assert.deepEqual(await client.deleteSecret("CLIENT_KEY"), { deleted: true, name: "CLIENT_KEY", env: "prod" });
    await assert.rejects(client.deleteSecret("CLIENT_KEY"), (err: ApiError) => {
      assert.equal(err.code, "SecretNotFound");
      assert.equal(err.status, 404);
      return true;
    });
  });

  it("no database file holds a value in clear", async () => {
    const sample = secretValues.filter((v) => v.startsWith("pave-secret-"));
    assert.ok(sample.length > 5);
    // While running (the WAL holds the newest pages) …
    for (const file of dataFiles()) for (const v of sample) assert.equal(file.includes(v), false);
    // … and the sealed bytes that are there are the ciphertext, not the text.
    const sealed = (await server.store.getSecrets("prod", ["STRIPE_KEY"])).get("STRIPE_KEY");
    assert.ok(sealed);
    assert.ok(
      dataFiles().some((f) => f.includes(Buffer.from(sealed.ciphertext))),
      "the ciphertext is on disk",
    );
  });

  it("a restart on the same data directory opens the secrets; another master key cannot", async () => {
    const value = secretValue();
    await put("KEEP_ME", value);
    const keyId = server.secretBox.keyId;
    await server.close();
    for (const file of dataFiles()) assert.equal(file.includes(value), false, "not even after the final checkpoint");

    server = await start();
    admin = server.adminToken as string;
    assert.equal(server.secretBox.keyId, keyId);
    assert.equal(await opened(server, "KEEP_ME"), value);
    await server.close();

    server = await start({ PAVE_MASTER_KEY: randomBytes(32).toString("base64") });
    admin = server.adminToken as string;
    assert.notEqual(server.secretBox.keyId, keyId);
    await assert.rejects(opened(server, "KEEP_ME"), (err: Error & { code?: string }) => {
      assert.equal(err.code, "SecretUndecryptable");
      assert.match(err.message, new RegExp(`sealed with master key ${keyId}`));
      assert.equal(err.message.includes(value), false);
      return true;
    });
    await server.close();
    server = await start();
    admin = server.adminToken as string;
  });

  it("refuses to start with a malformed PAVE_MASTER_KEY, saying why without echoing it", async () => {
    const bad = "not-a-real-master-key-value";
    await assert.rejects(start({ PAVE_MASTER_KEY: bad }), (err: Error & { code?: string }) => {
      assert.equal(err.code, "InvalidConfig");
      assert.match(err.message, /PAVE_MASTER_KEY must be the base64 of 32 random bytes/);
      assert.equal(err.message.includes(bad), false);
      return true;
    });
  });

  it("no answer or log line ever contained a secret value", () => {
    assert.ok(answers.length > 20, `${answers.length} answers checked`);
    assert.ok(logLines.length > 0, "the server logged something");
    const leaks = [...answers, ...logLines].filter((text) => secretValues.some((v) => text.includes(v)));
    assert.deepEqual(leaks, []);
  });
});
