// The auth domain: bearer tokens (created, hashed, verified). Roles and policies build on it.
export { Authenticator, createToken, generateToken, hashToken } from "./tokens.ts";
