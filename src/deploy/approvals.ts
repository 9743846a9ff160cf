// Deploys under the environment's policy: allowed ones go straight to the deployer, denied ones are refused naming
// the rule, and those needing an approval wait as pending deployments until someone else approves or rejects them.
import { v7 } from "uuid";
import { canApprove, type DeployFacts, evaluatePolicy, type PolicyBook, policyLabel } from "../auth/index.ts";
import { PaveError } from "../errors.ts";
import type { PendingDeployment, PolicyActor, Store, TokenRecord } from "../store/index.ts";
import type { Deployer, DeployOutcome, DeployRequest, PromoteRequest } from "./deployer.ts";
import { type Manifest, validateManifest } from "./manifest.ts";
import { parsePercent } from "./traffic.ts";

/** How long a pending deployment waits for a decision before it expires. */
export const PENDING_TTL_MS = 7 * 86_400_000;

/** A deploy's options as the API takes them; kept as sent on a pending deployment and replayed on approval. */
export interface DeployOptions {
  canary?: number | string;
  shadow?: number | string;
  shadowWrites?: boolean;
  /** A held promote: approving it promotes this exact version from `from` (no rebuild, no re-validation). */
  promote?: { from: string; version: string };
}

export interface DeploySubmission {
  env: string;
  name: string;
  manifest: Record<string, unknown>;
  bundle: string;
  options: DeployOptions;
  token: TokenRecord;
}

export type PendingView = Omit<PendingDeployment, "bundle">;

export type Submitted = { kind: "deployed"; outcome: DeployOutcome } | { kind: "pending"; pending: PendingView };

export class Approvals {
  readonly #store: Store;
  readonly #deployer: Deployer;
  readonly #policies: PolicyBook;
  readonly #now: () => number;

  constructor(deps: { store: Store; deployer: Deployer; policies: PolicyBook; now?: () => number }) {
    this.#store = deps.store;
    this.#deployer = deps.deployer;
    this.#policies = deps.policies;
    this.#now = deps.now ?? Date.now;
  }

  /** Deploys, or parks the deploy as pending when a rule asks for an approval the token's own role cannot give. */
  async submit(sub: DeploySubmission): Promise<Submitted> {
    const req = deployRequest(sub.env, sub.name, sub.manifest, sub.bundle, sub.options, sub.token.name);
    const verdict = await this.#verdict(sub.env, validateManifest(sub.manifest, "manifest"));
    // The deployer's own role may be enough: an operator deploying 1 GB needs nobody else (docs/policies.md).
    if (verdict.kind === "approval" && !canApprove(sub.token.role, verdict.role)) {
      const { bundle: _b, ...pending } = await this.#park(sub, verdict.rules, verdict.role);
      return { kind: "pending", pending };
    }
    return { kind: "deployed", outcome: await this.#deployer.deploy(req) };
  }

  /**
   * Promotes under the target environment's policy, as a deploy there would be: a denied one is refused, and one that
   * needs an approval the token cannot give waits as a pending deployment of the same manifest and bundle — whose
   * approval deploys the very version the source runs (versions are content-addressed).
   */
  async promote(
    req: PromoteRequest,
    token: TokenRecord,
  ): Promise<
    { kind: "promoted"; outcome: Awaited<ReturnType<Deployer["promote"]>> } | Extract<Submitted, { kind: "pending" }>
  > {
    const source = await this.#deployer.promotable(req);
    // Stored manifests are normalised already (and normalising is not idempotent: timeouts are stored in ms).
    const manifest = JSON.parse(source.manifest) as Manifest;
    const verdict = await this.#verdict(req.to, manifest);
    if (verdict.kind === "approval" && !canApprove(token.role, verdict.role)) {
      const options: DeployOptions = { promote: { from: req.from, version: source.id } };
      const sub = { env: req.to, name: req.name, manifest, bundle: source.bundle, options, token };
      const { bundle: _b, ...pending } = await this.#park(sub, verdict.rules, verdict.role);
      return { kind: "pending", pending };
    }
    return { kind: "promoted", outcome: await this.#deployer.promote(req) };
  }

  list(env: string, status?: PendingDeployment["status"], limit = 100): Promise<PendingView[]> {
    return this.#store.listPending({ env, limit, ...(status && { status }) });
  }

  async get(id: string): Promise<PendingDeployment> {
    const p = await this.#store.getPending(id);
    if (!p) throw new PaveError("ApprovalNotFound", `no pending deployment ${id}; see \`pave approvals\``);
    return p;
  }

  /**
   * Approves and performs the deploy exactly as requested. The requester may not approve their own request, whatever
   * their role; the policy in force now is asked again (it may have changed since). Of concurrent approvals one wins.
   */
  async approve(id: string, token: TokenRecord): Promise<{ pending: PendingView; outcome: DeployOutcome }> {
    const p = await this.#decidable(id, token, "approve");
    const options = p.options as DeployOptions;
    // A held promote carries the source's stored manifest, normalised already; a held deploy, the manifest as sent.
    const manifest = options.promote ? (p.manifest as unknown as Manifest) : validateManifest(p.manifest, "manifest");
    const verdict = await this.#verdict(p.env, manifest);
    if (verdict.kind === "approval" && !canApprove(token.role, verdict.role)) {
      throw forbidden(token, verdict.role, id, "approve", p);
    }
    await this.#decide(id, { status: "approved", by: actor(token), at: this.#now(), reason: null });
    try {
      const outcome = options.promote
        ? await this.#deployer.promote({
            name: p.function,
            from: options.promote.from,
            to: p.env,
            version: options.promote.version,
            by: p.requestedBy.name,
          })
        : await this.#deployer.deploy(
            deployRequest(p.env, p.function, p.manifest, p.bundle, options, p.requestedBy.name),
          );
      return { pending: view(await this.get(id)), outcome };
    } catch (err) {
      const why = err instanceof PaveError ? `${err.code}: ${err.message}` : "the deploy failed; see the server log";
      await this.#store.failApproved(id, why);
      throw err;
    }
  }

  /** Rejects with a reason: whoever may approve it may reject it, and the requester may withdraw their own. */
  async reject(id: string, token: TokenRecord, reason: string): Promise<PendingView> {
    await this.#decidable(id, token, "reject");
    await this.#decide(id, { status: "rejected", by: actor(token), at: this.#now(), reason });
    return view(await this.get(id));
  }

  /** Expires what waited longer than PENDING_TTL_MS; returns what it expired. */
  expire(now = this.#now()): Promise<PendingView[]> {
    return this.#store.expirePending(now - PENDING_TTL_MS, now);
  }

  async #decidable(id: string, token: TokenRecord, what: "approve" | "reject"): Promise<PendingDeployment> {
    const p = await this.get(id);
    if (p.status !== "pending") throw decided(p);
    const own = p.requestedBy.id === token.id;
    if (what === "approve" && own) {
      throw new PaveError(
        "Forbidden",
        `token ${token.name} requested pending deployment ${id} and may not approve it: another ${p.requiredRole} (or higher) must run \`pave approve ${id}\``,
        { details: { requiredRole: p.requiredRole, requestedBy: p.requestedBy.name } },
      );
    }
    if (!own && !canApprove(token.role, p.requiredRole)) throw forbidden(token, p.requiredRole, id, what, p);
    return p;
  }

  async #decide(id: string, d: Parameters<Store["decidePending"]>[1]): Promise<void> {
    if (!(await this.#store.decidePending(id, d))) throw decided(await this.get(id));
  }

  async #verdict(env: string, manifest: Manifest) {
    const inForce = await this.#policies.current(env);
    const verdict = evaluatePolicy(inForce.policy, factsOf(manifest));
    const label = policyLabel(inForce);
    if (verdict.outcome === "deny") {
      const rules = verdict.rules.map((r) => `rule ${r.name} (${r.why})`).join("; ");
      throw new PaveError(
        "PolicyDenied",
        `${label} denies deploying ${manifest.name}: ${rules}. No role can approve it; change the manifest, or an admin can change the policy (pave policy set)`,
        { details: { rules: verdict.rules, policyVersion: inForce.version } },
      );
    }
    if (verdict.outcome === "approval") return { kind: "approval" as const, rules: verdict.rules, role: verdict.role };
    return { kind: "allow" as const };
  }

  async #park(sub: DeploySubmission, rules: PendingDeployment["rules"], role: PendingDeployment["requiredRole"]) {
    const now = this.#now();
    const pending: PendingDeployment = {
      id: v7({ msecs: now }),
      env: sub.env,
      function: sub.name,
      requestedBy: actor(sub.token),
      manifest: sub.manifest,
      bundle: sub.bundle,
      options: { ...sub.options },
      rules,
      requiredRole: role,
      createdAt: now,
      status: "pending",
      decidedBy: null,
      decidedAt: null,
      reason: null,
    };
    await this.#store.insertPending(pending);
    return pending;
  }
}

/** What a policy reads from a normalised manifest. */
export function factsOf(m: Manifest): DeployFacts {
  return {
    memory: m.memory,
    timeoutMs: m.timeout,
    concurrency: m.concurrency,
    minInstances: m.minInstances,
    egress: m.bindings.egress,
    secrets: m.bindings.secrets,
  };
}

function deployRequest(
  env: string,
  name: string,
  manifest: Record<string, unknown>,
  bundle: string,
  o: DeployOptions,
  createdBy: string,
): DeployRequest {
  // Percentages are read before a deploy is parked, so a bad one is refused now rather than after an approval.
  return {
    env,
    name,
    manifest,
    bundle,
    createdBy,
    ...(o.canary !== undefined && { canary: parsePercent(o.canary, "canary") }),
    ...(o.shadow !== undefined && {
      shadow: { percent: parsePercent(o.shadow, "shadow"), writes: o.shadowWrites ?? false },
    }),
  };
}

function actor(t: TokenRecord): PolicyActor {
  return { id: t.id, name: t.name, role: t.role };
}

function view(p: PendingDeployment): PendingView {
  const { bundle: _b, ...rest } = p;
  return rest;
}

function decided(p: PendingDeployment): PaveError {
  const by = p.decidedBy ? ` by ${p.decidedBy.name}` : "";
  const at = p.decidedAt ? ` at ${new Date(p.decidedAt).toISOString()}` : "";
  return new PaveError("ApprovalDecided", `pending deployment ${p.id} was already ${p.status}${by}${at}`, {
    details: { status: p.status, decidedBy: p.decidedBy?.name ?? null },
  });
}

function forbidden(
  token: TokenRecord,
  needed: string,
  id: string,
  what: string,
  p: Pick<PendingDeployment, "function" | "env">,
): PaveError {
  return new PaveError(
    "Forbidden",
    `to ${what} pending deployment ${id} (${p.function} in ${p.env}) needs the ${needed} role or higher; token ${token.name} has ${token.role}: ask someone with the ${needed} role`,
    { details: { needed, role: token.role } },
  );
}
