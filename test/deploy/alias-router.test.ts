// The alias router's cache against a change that arrives while a route is being read: the route read before the
// change may answer the request that asked for it, but is not kept — the next request reads the new one.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { AliasRouter } from "../../src/deploy/alias-router.ts";
import { createLogger } from "../../src/logger.ts";
import { openStore, type Store } from "../../src/store/index.ts";

const manifest = JSON.stringify({ name: "fn", memory: 128, timeout: 1000, concurrency: 1, bindings: {} });
const version = (id: string) => ({
  env: "prod",
  function: "fn",
  id,
  manifest,
  bundle: `/* ${id} */`,
  bundleBytes: 8,
  createdBy: "tester",
});

describe("AliasRouter", async () => {
  const store = await openStore(":memory:");
  after(() => store.close());

  it("does not keep a route read before an invalidation", async () => {
    let gate: Promise<void> | undefined;
    // The real store, with its alias reads held at a gate the test opens.
    const held = new Proxy(store, {
      get(target, prop) {
        if (prop === "readAlias") {
          return async (...args: Parameters<Store["readAlias"]>) => {
            const record = await target.readAlias(...args);
            await gate;
            return record;
          };
        }
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const router = new AliasRouter({ store: held, logger: createLogger("silent") });
    await store.deploy(version("v1"), "live", 1);
    let open!: () => void;
    gate = new Promise((r) => {
      open = r;
    });
    const first = router.resolve("prod", "fn", "live");
    await new Promise((r) => setTimeout(r, 20));
    // The change lands while the first read waits: stored, then announced (invalidate).
    await store.deploy(version("v2"), "live", 2);
    router.invalidate("prod", "fn");
    open();
    assert.equal((await first).split[0]?.code.id, "v1", "the request that read before the change gets what it read");
    gate = undefined;
    assert.equal((await router.resolve("prod", "fn", "live")).split[0]?.code.id, "v2");
  });
});
