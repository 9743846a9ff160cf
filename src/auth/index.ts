// The auth domain: bearer tokens (created, hashed, verified) and the master key that seals secrets.
// Roles and policies build on it.

export { SecretBox, type SecretBoxOptions } from "./secret-box.ts";
export { Authenticator, createToken, generateToken, hashToken } from "./tokens.ts";
