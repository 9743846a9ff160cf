// Which store errors mean "the database could not be reached" (answered NotReady, 503) rather than a failed query.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isStoreUnreachable } from "../../src/store/index.ts";

const withCode = (code: string, message = "x") => Object.assign(new Error(message), { code });

test("connection failures and a server going down are unreachable", () => {
  assert.ok(isStoreUnreachable(withCode("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432")));
  assert.ok(isStoreUnreachable(withCode("57P01", "terminating connection due to administrator command")));
  assert.ok(isStoreUnreachable(withCode("57P03", "the database system is starting up")));
  assert.ok(isStoreUnreachable(withCode("08006", "connection failure")));
  assert.ok(isStoreUnreachable(new Error("Connection terminated unexpectedly")));
  assert.ok(isStoreUnreachable(new Error("timeout exceeded when trying to connect")));
  assert.ok(isStoreUnreachable(new Error("wrapped", { cause: withCode("ECONNRESET") })));
});

test("a query that failed on a reachable database is not", () => {
  assert.equal(isStoreUnreachable(withCode("23505", "duplicate key value violates unique constraint")), false);
  assert.equal(isStoreUnreachable(withCode("57014", "canceling statement due to statement timeout")), false);
  assert.equal(isStoreUnreachable(withCode("SQLITE_CONSTRAINT")), false);
  assert.equal(isStoreUnreachable(new Error("boom")), false);
  assert.equal(isStoreUnreachable(undefined), false);
});
