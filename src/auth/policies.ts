// Where each environment's policy in force comes from: its latest stored version, or the default policy when it
// never had one. Setting a policy parses it first, so an invalid file never replaces the one in force.
import type { PolicyRecord, Store } from "../store/index.ts";
import { DEFAULT_POLICY, DEFAULT_POLICY_YAML, type Policy, parsePolicy } from "./policy.ts";

/** The policy in force in an environment, with where it came from. */
export interface PolicyInForce {
  env: string;
  policy: Policy;
  yaml: string;
  /** Null for the default policy. */
  version: number | null;
  isDefault: boolean;
  createdBy: string | null;
  createdAt: number | null;
}

export class PolicyBook {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async current(env: string): Promise<PolicyInForce> {
    const stored = await this.#store.getPolicy(env);
    if (!stored) {
      const none = { version: null, isDefault: true, createdBy: null, createdAt: null };
      return { env, policy: DEFAULT_POLICY, yaml: DEFAULT_POLICY_YAML, ...none };
    }
    // Stored files were valid when set; parsing again keeps one reading of them if the schema grows.
    return inForce(stored, parsePolicy(stored.yaml, `${env} policy v${stored.version}`));
  }

  /** Validates `yaml` (PolicyInvalid names line and reason) and stores it as the environment's next version. */
  async set(env: string, yaml: string, by: string, file = "policy.yaml"): Promise<PolicyInForce> {
    const policy = parsePolicy(yaml, file);
    return inForce(await this.#store.putPolicy(env, yaml, by, Date.now()), policy);
  }
}

function inForce(r: PolicyRecord, policy: Policy): PolicyInForce {
  return {
    env: r.env,
    policy,
    yaml: r.yaml,
    version: r.version,
    isDefault: false,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
  };
}

/** How a policy is named in messages: `the prod policy (v3)` or `the default policy of prod`. */
export function policyLabel(p: PolicyInForce): string {
  return p.isDefault ? `the default policy of ${p.env}` : `the ${p.env} policy (v${p.version})`;
}
