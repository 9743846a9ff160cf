// The auth domain: bearer tokens (created, hashed, verified), roles and environment scopes, and the master key
// that seals secrets; policies as code (guard rails on deploys, budgets) and their evaluation.
export {
  ALL_ENVS,
  inScope,
  normalizeScopes,
  ROLE_RANK,
  ROLES,
  requireRole,
  requireScope,
  scopesWithin,
  type TokenState,
  tokenState,
} from "./access.ts";
export { BudgetGuard, monthStart } from "./budget-guard.ts";
export { PolicyBook, type PolicyInForce, policyLabel } from "./policies.ts";
export {
  DEFAULT_POLICY,
  DEFAULT_POLICY_YAML,
  type Policy,
  type PolicyRule,
  parsePolicy,
  policySchema,
} from "./policy.ts";
export { canApprove, type DeployFacts, evaluatePolicy, type MatchedRule, type PolicyVerdict } from "./policy-eval.ts";
export { SecretBox, type SecretBoxOptions } from "./secret-box.ts";
export { Authenticator, createToken, generateToken, hashToken, TOKEN_CACHE_MS } from "./tokens.ts";
