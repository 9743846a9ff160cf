// The whole route × role matrix against a real server: every route of apiRoutes() (a new route is covered the
// day it is declared), called with a token of each role. At or above the declared role auth lets the request
// through (a 404 for a made-up name proves it); below, it is 403 naming the role needed. Plus /metrics.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ApiDeps, apiRoutes, type RouteSpec } from "../../src/api/index.ts";
import { ROLE_RANK, ROLES } from "../../src/auth/index.ts";
import type { Role } from "../../src/store/index.ts";
import { startTestServer, type TestServer } from "./helpers.ts";

/** Routes the matrix may not call as is, each with why. Empty: keep it so. */
const EXCEPTIONS: Record<string, string> = {};

let t: TestServer;
const tokens = {} as Record<Role, string>;
before(async () => {
  t = await startTestServer();
  for (const role of ROLES) tokens[role] = (await t.client.createToken({ role, name: `matrix-${role}` })).token;
});
after(() => t.close());

/** A made-up value each path parameter accepts, so the request gets past validation to a 404 (or a harmless 2xx). */
function pathOf(spec: RouteSpec): string {
  const candidates = ["no-such-thing", "NO_SUCH_THING", "0190a000-0000-7000-8000-000000000001"];
  const params: Record<string, string> = {};
  for (const name of spec.path.match(/:(\w+)/g)?.map((p) => p.slice(1)) ?? []) {
    params[name] =
      candidates.find((c) => spec.params?.safeParse({ ...params, [name]: c, ...fill(spec, name, c) }).success) ?? "x";
  }
  return `/api/v1${spec.path.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(params[name] ?? "x"))}`;
}

/** The other parameters filled with any candidate, so one parameter can be tried alone. */
function fill(spec: RouteSpec, except: string, value: string): Record<string, string> {
  const names = spec.path.match(/:(\w+)/g)?.map((p) => p.slice(1)) ?? [];
  return Object.fromEntries(names.filter((n) => n !== except).map((n) => [n, value]));
}

/** Calls a route and returns its status and (for errors) its JSON body; streams are cut after the headers. */
async function call(spec: RouteSpec, token: string): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  let body: string | undefined;
  if (spec.rawBody) {
    headers["content-type"] = "application/octet-stream";
    body = "v";
  } else if (spec.body) {
    headers["content-type"] = "application/json";
    body = "{}";
  }
  const abort = new AbortController();
  const res = await fetch(`${t.server.url}${pathOf(spec)}`, {
    method: spec.method,
    headers,
    body,
    signal: abort.signal,
  });
  const json = res.status >= 400 ? await res.json() : undefined;
  abort.abort();
  return { status: res.status, body: json };
}

describe("route × role matrix", () => {
  const routes = apiRoutes({} as ApiDeps);

  it("covers every declared route", () => {
    assert.ok(routes.length >= 20, `only ${routes.length} routes found`);
    for (const key of Object.keys(EXCEPTIONS)) {
      assert.ok(
        routes.some((r) => `${r.method} ${r.path}` === key),
        `exception ${key} names no route`,
      );
    }
  });

  for (const spec of routes) {
    const key = `${spec.method} ${spec.path}`;
    if (EXCEPTIONS[key]) continue;
    it(`${key} needs ${spec.role}`, async () => {
      for (const role of ROLES) {
        const { status, body } = await call(spec, tokens[role]);
        if (ROLE_RANK[role] >= ROLE_RANK[spec.role]) {
          assert.ok(status !== 401 && status !== 403, `${role} on ${key}: ${status} ${JSON.stringify(body)}`);
          assert.ok(status < 500, `${role} on ${key}: ${status} ${JSON.stringify(body)}`);
        } else {
          assert.equal(status, 403, `${role} on ${key}: ${status}`);
          const error = (body as { error: { code: string; message: string } }).error;
          assert.equal(error.code, "Forbidden");
          assert.match(error.message, new RegExp(`needs the ${spec.role} role; token matrix-${role} has ${role}`));
        }
      }
    });
  }

  it("GET /metrics needs viewer; the OpenAPI document needs nothing", async () => {
    for (const role of ROLES) {
      const res = await fetch(`${t.server.url}/metrics`, { headers: { authorization: `Bearer ${tokens[role]}` } });
      assert.equal(res.status, 200, role);
      await res.arrayBuffer();
    }
    assert.equal((await fetch(`${t.server.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${t.server.url}/api/v1/openapi.json`)).status, 200);
  });
});
