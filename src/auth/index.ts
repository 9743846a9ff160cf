// The auth domain: bearer tokens (created, hashed, verified), roles and environment scopes, and the master key
// that seals secrets. Policies build on it.
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
export { SecretBox, type SecretBoxOptions } from "./secret-box.ts";
export { Authenticator, createToken, generateToken, hashToken, TOKEN_CACHE_MS } from "./tokens.ts";
