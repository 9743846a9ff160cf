// What a deploy answers and records, shared by the deploy route and an approval (which performs the deploy it
// approves): one shape for the client whichever way the version went live.
import type { DeployOutcome } from "../deploy/index.ts";
import type { AuditNote } from "./route.ts";

export function deployAnswer(name: string, env: string, out: DeployOutcome) {
  return {
    function: name,
    env,
    alias: "live",
    changed: out.changed,
    created: out.created,
    previous: out.previous,
    split: out.target.split,
    shadow: out.target.shadow,
    replacedCanary: out.replacedCanary,
    canary: out.canary && { steps: out.canary.steps, policy: out.canary.policy },
    style: out.style,
    version: {
      id: out.version.id,
      seq: out.version.seq,
      bundleBytes: out.version.bundleBytes,
      createdAt: out.version.createdAt,
    },
  };
}

/** The `function.deploy` record's before, after and details. */
export function deployAudit(out: DeployOutcome): Required<Pick<AuditNote, "before" | "after" | "details">> {
  return {
    before: { version: out.previous },
    after: { version: out.version.id, seq: out.version.seq },
    details: { changed: out.changed, created: out.created, bundleBytes: out.version.bundleBytes },
  };
}
