// The parsers behind `pave up --idle-ttl` and `--memory-budget`: the accepted forms, and a usage error for the rest.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidArgumentError } from "commander";
import { parseDuration, parseMemorySize, poolFrom } from "../../src/cli/options.ts";

describe("parseDuration", () => {
  it("reads ms, s, m, h and d", () => {
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("30s"), 30_000);
    assert.equal(parseDuration("1.5s"), 1500);
    assert.equal(parseDuration("5m"), 300_000);
    assert.equal(parseDuration("1h"), 3_600_000);
    assert.equal(parseDuration("30d"), 30 * 86_400_000);
  });

  it("refuses anything else as a usage error", () => {
    for (const bad of ["", "5", "five minutes", "0s", "-1m", "5w"]) {
      assert.throws(() => parseDuration(bad), InvalidArgumentError, bad);
    }
  });
});

describe("parseMemorySize", () => {
  const host = 16_384;
  it("reads megabytes, m and g suffixes, and a share of the host's memory", () => {
    assert.equal(parseMemorySize("4096", host), 4096);
    assert.equal(parseMemorySize("512m", host), 512);
    assert.equal(parseMemorySize("512MB", host), 512);
    assert.equal(parseMemorySize("4g", host), 4096);
    assert.equal(parseMemorySize("1.5G", host), 1536);
    assert.equal(parseMemorySize("50%", host), 8192);
  });

  it("refuses anything else, and budgets below one smallest instance (16 MB)", () => {
    for (const bad of ["", "lots", "4t", "8", "150%", "-1g", "0%"]) {
      assert.throws(() => parseMemorySize(bad, host), InvalidArgumentError, bad);
    }
  });
});

describe("poolFrom (--store-pool, PAVE_STORE_POOL)", () => {
  it("takes the flag over the environment, and neither means the store's default", () => {
    assert.equal(poolFrom({ storePool: 4 }, { PAVE_STORE_POOL: "20" }), 4);
    assert.equal(poolFrom({}, { PAVE_STORE_POOL: "20" }), 20);
    assert.equal(poolFrom({}, {}), undefined);
    assert.equal(poolFrom({}, { PAVE_STORE_POOL: "" }), undefined);
  });

  it("refuses a pool size that is not a whole number from 1 to 1000, naming the variable", () => {
    for (const bad of ["0", "1001", "2.5", "ten", "-3"]) {
      assert.throws(
        () => poolFrom({}, { PAVE_STORE_POOL: bad }),
        (err: Error) => err instanceof InvalidArgumentError && err.message.includes("PAVE_STORE_POOL"),
        bad,
      );
    }
  });
});
