// Where the CLI's token comes from: PAVE_TOKEN wins over the config file `pave up` wrote, and the file's token is
// never sent to a server other than the one it names.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { resolveClientConfig } from "../../src/client/index.ts";

const dir = mkdtempSync(join(tmpdir(), "pave-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const PAVE_CONFIG = join(dir, "config.json");
writeFileSync(PAVE_CONFIG, JSON.stringify({ url: "http://127.0.0.1:8700", token: "pave_from_file" }));

describe("resolveClientConfig", () => {
  it("uses the config file's token for the server it names", () => {
    assert.deepEqual(resolveClientConfig({}, { PAVE_CONFIG }), {
      url: "http://127.0.0.1:8700",
      token: "pave_from_file",
    });
  });

  it("prefers PAVE_TOKEN over the config file", () => {
    const env = { PAVE_CONFIG, PAVE_TOKEN: "pave_from_env" };
    assert.equal(resolveClientConfig({}, env).token, "pave_from_env");
    assert.equal(resolveClientConfig({ url: "http://elsewhere:1" }, env).token, "pave_from_env");
  });

  it("does not send the file's token to another server", () => {
    assert.equal(resolveClientConfig({ url: "http://elsewhere:1" }, { PAVE_CONFIG }).token, undefined);
  });
});
