// Every mutating route declares how it is audited, so a new route cannot forget: an action from the documented
// list, or an explicit exemption with its reason.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { type ApiDeps, apiRoutes } from "../../src/api/index.ts";
import { AUDIT_ACTIONS } from "../../src/ops/index.ts";

test("every route but GET declares an audit action or an exemption with a reason", () => {
  const missing: string[] = [];
  for (const r of apiRoutes({} as ApiDeps)) {
    if (r.method === "GET") continue;
    const where = `${r.method} ${r.path}`;
    if (!r.audit) missing.push(where);
    else if ("exempt" in r.audit) assert.ok(r.audit.exempt.length > 10, `${where}: say why it is exempt`);
    else assert.ok((AUDIT_ACTIONS as readonly string[]).includes(r.audit.action), `${where}: unknown action`);
  }
  assert.deepEqual(missing, [], "declare `audit` on these routes (see src/api/route.ts)");
});

test("every audit action is documented in docs/audit.md", () => {
  const doc = readFileSync(new URL("../../docs/audit.md", import.meta.url), "utf8");
  const undocumented = AUDIT_ACTIONS.filter((a) => !doc.includes(`\`${a}\``));
  assert.deepEqual(undocumented, [], "document these actions in docs/audit.md");
});
