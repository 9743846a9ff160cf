// pave.yaml parsing and validation: defaults, durations, and errors that name file, line, key, expected and found.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ManifestIssue, parseManifest, validateManifest } from "../../src/deploy/manifest.ts";
import { PaveError } from "../../src/errors.ts";

const FILE = "fns/checkout/pave.yaml";

/** Runs `fn`, asserts it throws an InvalidManifest PaveError, and returns the error with its issues. */
function invalid(fn: () => unknown): { message: string; issues: ManifestIssue[] } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PaveError, `expected a PaveError, got ${String(err)}`);
    assert.equal(err.code, "InvalidManifest");
    assert.equal(err.status, 400);
    const issues = err.details?.issues as ManifestIssue[] | undefined;
    assert.ok(Array.isArray(issues) && issues.length > 0, "details.issues lists the problems");
    return { message: err.message, issues };
  }
  assert.fail("expected InvalidManifest");
}

describe("parseManifest", () => {
  it("applies defaults to a minimal manifest", () => {
    assert.deepEqual(parseManifest("name: hello\n", FILE).manifest, {
      name: "hello",
      entry: "src/index.ts",
      memory: 128,
      timeout: 10_000,
      concurrency: 16,
      minInstances: 0,
      tags: {},
      routes: [],
      bindings: { kv: {}, secrets: [], egress: [], services: {}, topics: {} },
    });
  });

  it("keeps every documented key and fills nested binding defaults", () => {
    const m = parseManifest(
      [
        "name: checkout",
        "entry: src/main.ts",
        "memory: 256",
        "timeout: 10s",
        "concurrency: 50",
        "tags: { feature: payments, team: orders }",
        'routes: ["/checkout/*"]',
        'schedule: "*/5 * * * *"',
        "bindings:",
        "  kv:       { CARTS: { namespace: carts } }",
        "  secrets:  [STRIPE_KEY]",
        '  egress:   ["api.stripe.com"]',
        "  services: { INVENTORY: inventory }",
        "  topics:   { ORDERS: orders }",
        "",
      ].join("\n"),
      FILE,
    ).manifest;
    assert.equal(m.entry, "src/main.ts");
    assert.equal(m.memory, 256);
    assert.equal(m.timeout, 10_000);
    assert.equal(m.concurrency, 50);
    assert.deepEqual(m.tags, { feature: "payments", team: "orders" });
    assert.deepEqual(m.routes, ["/checkout/*"]);
    assert.deepEqual(m.schedule, { cron: "*/5 * * * *", overlap: "skip", missed: "skip" });
    assert.deepEqual(m.bindings, {
      kv: { CARTS: { namespace: "carts", access: "read-write" } },
      secrets: ["STRIPE_KEY"],
      egress: ["api.stripe.com"],
      services: { INVENTORY: "inventory" },
      topics: { ORDERS: "orders" },
    });
  });

  it("reads every timeout form as milliseconds", () => {
    const timeout = (t: string) => parseManifest(`name: a\ntimeout: ${t}\n`, FILE).manifest.timeout;
    assert.equal(timeout("10s"), 10_000);
    assert.equal(timeout("500ms"), 500);
    assert.equal(timeout("2m"), 120_000);
    assert.equal(timeout("1.5s"), 1500);
    assert.equal(timeout("30"), 30_000, "a bare number is seconds");
    assert.equal(timeout("0.25"), 250);
  });

  it("rejects bad timeouts with what was expected", () => {
    const bad = invalid(() => parseManifest("name: a\ntimeout: 10x\n", FILE));
    assert.match(bad.message, /^fns\/checkout\/pave\.yaml:2: timeout: expected a duration like 500ms, 10s or 2m/);
    assert.match(bad.message, /found "10x"/);
    const tooLong = invalid(() => parseManifest("name: a\ntimeout: 16m\n", FILE));
    assert.match(tooLong.message, /:2: timeout: .*at most 15m/);
    invalid(() => parseManifest("name: a\ntimeout: -1\n", FILE));
  });

  it("names file, line, key, expected and found for a wrong type", () => {
    const { message, issues } = invalid(() => parseManifest("name: a\nmemory: abc\n", FILE));
    assert.equal(message, `${FILE}:2: memory: expected number, found "abc"`);
    assert.deepEqual(issues, [{ key: "memory", line: 2, message: 'expected number, found "abc"' }]);
  });

  it("rejects an unknown top-level key with its line and the known keys", () => {
    const { message, issues } = invalid(() => parseManifest("name: a\nmemory: 128\nmemroy: 256\n", FILE));
    assert.match(message, /^fns\/checkout\/pave\.yaml:3: memroy: unknown key; expected one of /);
    for (const key of ["name", "entry", "memory", "timeout", "concurrency", "tags", "routes", "schedule", "bindings"]) {
      assert.ok(message.includes(key), `lists known key ${key}`);
    }
    assert.equal(issues[0]?.key, "memroy");
    assert.equal(issues[0]?.line, 3);
  });

  it("rejects an unknown key under bindings with the binding kinds", () => {
    const { message, issues } = invalid(() =>
      parseManifest("name: a\nbindings:\n  kv: {}\n  queues: { JOBS: jobs }\n", FILE),
    );
    assert.match(message, /^fns\/checkout\/pave\.yaml:4: bindings\.queues: unknown key; expected one of /);
    assert.match(message, /kv, secrets, egress, services, topics/);
    assert.deepEqual(issues[0] && { key: issues[0].key, line: issues[0].line }, { key: "bindings.queues", line: 4 });
  });

  it("rejects a name that breaks the naming rule", () => {
    for (const bad of ["Checkout", "9lives", "has_underscore", `a${"b".repeat(63)}`]) {
      const { message, issues } = invalid(() => parseManifest(`name: ${bad}\n`, FILE));
      assert.match(message, /^fns\/checkout\/pave\.yaml:1: name: expected a name of a lowercase letter/);
      assert.ok(message.includes(JSON.stringify(bad.length > 40 ? `${bad.slice(0, 40)}…` : bad)), message);
      assert.equal(issues[0]?.key, "name");
    }
  });

  it("reports invalid YAML with its line", () => {
    const { message, issues } = invalid(() => parseManifest("name: a\nmemory: 128\ntags: { a: b\n", FILE));
    assert.match(message, /^fns\/checkout\/pave\.yaml:\d+: not valid YAML: /);
    assert.equal(message.split("\n").length, 1, "one line, no code frame");
    const line = issues[0]?.line;
    assert.ok(line !== undefined && line >= 3, `line ${line}`);
    assert.ok(message.startsWith(`${FILE}:${line}:`));

    const tab = invalid(() => parseManifest("name: a\nbindings:\n\tkv: {}\n", FILE));
    assert.equal(tab.issues[0]?.line, 3);
  });

  it("reports a missing name as required", () => {
    const { message, issues } = invalid(() => parseManifest("memory: 128\n", FILE));
    assert.match(message, /name: required; expected string/);
    assert.equal(issues[0]?.key, "name");
    const empty = invalid(() => parseManifest("", FILE));
    assert.match(empty.message, /^fns\/checkout\/pave\.yaml: name: required/);
  });

  it("rejects memory out of range with the bound and the value found", () => {
    const high = invalid(() => parseManifest("name: a\nmemory: 99999\n", FILE));
    assert.equal(high.message, `${FILE}:2: memory: expected at most 10240 (MB), found number 99999`);
    const low = invalid(() => parseManifest("name: a\nmemory: 8\n", FILE));
    assert.match(low.message, /:2: memory: expected at least 16 \(MB\), found number 8/);
    invalid(() => parseManifest("name: a\nmemory: 128.5\n", FILE));
  });

  it("reports every issue, each on its own line", () => {
    const { message, issues } = invalid(() => parseManifest("name: A\nmemory: abc\nextra: 1\n", FILE));
    assert.equal(issues.length, 3);
    assert.deepEqual(issues.map((i) => i.key).sort(), ["extra", "memory", "name"]);
    assert.equal(message.split("\n").length, 3);
    for (const line of message.split("\n")) assert.ok(line.startsWith(`${FILE}:`), line);
  });

  it("points at nested keys by their dotted path and line", () => {
    const { issues } = invalid(() =>
      parseManifest("name: a\nbindings:\n  kv:\n    CARTS: { namespace: carts, access: write }\n", FILE),
    );
    assert.equal(issues[0]?.key, "bindings.kv.CARTS.access");
    assert.equal(issues[0]?.line, 4);
  });
});

describe("bindings", () => {
  it("accepts egress hosts, ports, wildcards and IP literals", () => {
    const m = validateManifest({
      name: "a",
      bindings: { egress: ["api.stripe.com", "api.example.com:8443", "*.example.org", "127.0.0.1:8080", "[::1]:9000"] },
    });
    assert.equal(m.bindings.egress.length, 5);
  });

  it("rejects an egress entry that is a URL, with what is expected", () => {
    const { issues } = invalid(() =>
      parseManifest("name: a\nbindings:\n  egress:\n    - https://api.stripe.com/v1\n", FILE),
    );
    assert.equal(issues[0]?.key, "bindings.egress.0");
    assert.equal(issues[0]?.line, 4);
    assert.match(issues[0]?.message ?? "", /a host like api\.example\.com.*found "https:\/\/api\.stripe\.com\/v1"/);
  });

  it("rejects a name used by two bindings, naming the first kind", () => {
    const { issues } = invalid(() =>
      validateManifest({ name: "a", bindings: { kv: { CARTS: { namespace: "carts" } }, secrets: ["CARTS"] } }),
    );
    assert.equal(issues[0]?.key, "bindings.secrets.0");
    assert.match(issues[0]?.message ?? "", /unique binding name \(CARTS is already a kv binding\)/);
  });

  it("rejects a secret listed twice", () => {
    const { issues } = invalid(() => validateManifest({ name: "a", bindings: { secrets: ["KEY", "KEY"] } }));
    assert.equal(issues[0]?.key, "bindings.secrets.1");
  });

  it("rejects a binding name that collides with a global", () => {
    const { issues } = invalid(() => validateManifest({ name: "a", bindings: { services: { URL: "urls" } } }));
    assert.equal(issues[0]?.key, "bindings.services.URL");
    assert.match(issues[0]?.message ?? "", /other than the global URL/);
  });
});

describe("validateManifest", () => {
  it("validates an already-parsed object and applies defaults", () => {
    const m = validateManifest({ name: "hello", timeout: "2m" });
    assert.equal(m.timeout, 120_000);
    assert.equal(m.memory, 128);
  });

  it("names the file and key without line numbers", () => {
    const { message, issues } = invalid(() => validateManifest({ name: "a", memory: "abc" }, "api-body"));
    assert.equal(message, 'api-body: memory: expected number, found "abc"');
    assert.deepEqual(issues, [{ key: "memory", message: 'expected number, found "abc"' }]);
  });

  it("rejects something that is not a mapping", () => {
    const { issues } = invalid(() => validateManifest(["name", "a"]));
    assert.equal(issues[0]?.key, "(root)");
  });
});

describe("minInstances", () => {
  it("defaults to 0 and keeps a whole number from 0 to 100", () => {
    assert.equal(parseManifest("name: a\n", FILE).manifest.minInstances, 0);
    assert.equal(parseManifest("name: a\nminInstances: 3\n", FILE).manifest.minInstances, 3);
    assert.equal(parseManifest("name: a\nconcurrency: 100\nminInstances: 100\n", FILE).manifest.minInstances, 100);
  });

  it("rejects values out of range, fractions and strings, naming the line, the bound and the value", () => {
    assert.equal(
      invalid(() => parseManifest("name: a\nminInstances: -1\n", FILE)).message,
      `${FILE}:2: minInstances: expected at least 0, found number -1`,
    );
    assert.equal(
      invalid(() => parseManifest("name: a\nconcurrency: 1000\nminInstances: 101\n", FILE)).message,
      `${FILE}:3: minInstances: expected at most 100, found number 101`,
    );
    assert.equal(
      invalid(() => parseManifest("name: a\nminInstances: 1.5\n", FILE)).message,
      `${FILE}:2: minInstances: expected a whole number, found number 1.5`,
    );
    assert.equal(
      invalid(() => parseManifest('name: a\nminInstances: "2"\n', FILE)).message,
      `${FILE}:2: minInstances: expected number, found "2"`,
    );
  });

  it("may not exceed concurrency: more warm instances could never all be used", () => {
    const { message, issues } = invalid(() => parseManifest("name: a\nconcurrency: 4\nminInstances: 5\n", FILE));
    assert.equal(message, `${FILE}:3: minInstances: expected at most concurrency (4), found number 5`);
    assert.deepEqual(issues, [
      { key: "minInstances", line: 3, message: "expected at most concurrency (4), found number 5" },
    ]);
    // Over 100 is reported once, by the range check.
    assert.equal(invalid(() => parseManifest("name: a\nminInstances: 200\n", FILE)).issues.length, 1);
  });
});

describe("expires", () => {
  it("reads a duration after deploy and a date, normalised", () => {
    assert.deepEqual(parseManifest("name: brief\nexpires: 72h\n", FILE).manifest.expires, { afterMs: 72 * 3_600_000 });
    assert.deepEqual(parseManifest("name: brief\nexpires: 2999-12-01\n", FILE).manifest.expires, {
      at: Date.UTC(2999, 11, 1),
    });
    assert.deepEqual(parseManifest("name: brief\nexpires: 2999-12-01T18:00Z\n", FILE).manifest.expires, {
      at: Date.UTC(2999, 11, 1, 18),
    });
    assert.equal(parseManifest("name: forever\n", FILE).manifest.expires, undefined);
  });

  it("refuses anything else, and a past date, naming file, line and key", () => {
    for (const [value, why] of [
      ["soon", /a duration after deploy like 72h/],
      ["0s", /a duration after deploy like 72h/],
      ["99999d", /at most 3650d/],
      ["2001-01-01", /a date in the future/],
      ["-1", /a duration after deploy/],
    ] as const) {
      const { message, issues } = invalid(() => parseManifest(`name: brief\nexpires: "${value}"\n`, FILE));
      assert.equal(issues[0]?.key, "expires");
      assert.match(message, new RegExp(`^${FILE}:2: expires: expected `));
      assert.match(message, why);
    }
    const { message } = invalid(() => validateManifest({ name: "brief", expires: 5 }, "manifest"));
    assert.match(message, /manifest: expires: expected string, found number 5/);
  });
});
