// Bearer tokens: random secrets shown once, stored only as SHA-256 hashes, verified with a short cache so the
// control API does not query the store on every call; a revocation evicts it on every node (the change feed).
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { PaveError } from "../errors.ts";
import type { Role, Store, TokenRecord } from "../store/index.ts";
import { ALL_ENVS, normalizeScopes } from "./access.ts";

/** `pave_` and 32 random bytes in base64url: 48 characters. */
const TOKEN_FORMAT = /^pave_[A-Za-z0-9_-]{43}$/;
const TOKEN_CHARS = 48;
/** Longer headers are refused before any parsing: nothing that long is a Pave token. */
const MAX_HEADER_CHARS = 1024;

export function generateToken(): string {
  return `pave_${randomBytes(32).toString("base64url")}`;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Creates a token, stores its hash and returns the secret (the only time it exists in clear). */
export async function createToken(
  store: Store,
  opts: { name: string; role: Role; envs?: readonly string[]; expiresAt?: number | null; now: number },
): Promise<{ token: string; record: TokenRecord }> {
  const token = generateToken();
  const record: TokenRecord = {
    id: randomUUID(),
    hash: hashToken(token),
    name: opts.name,
    role: opts.role,
    envs: normalizeScopes(opts.envs ?? [ALL_ENVS]),
    createdAt: opts.now,
    expiresAt: opts.expiresAt ?? null,
    revokedAt: null,
  };
  await store.insertToken(record);
  return { token, record };
}

/**
 * How long a looked-up token is trusted without asking the store again. A revoked token stops at once on the node
 * that revoked it and within a second on the others (`forget`, through the change feed); this bound is the backstop
 * for a change that never arrived.
 */
export const TOKEN_CACHE_MS = 10_000;

export class Authenticator {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #cache = new Map<string, { record: TokenRecord | undefined; at: number }>();
  /** Bumped by every `forget`: a lookup that began before it must not re-cache what it read. */
  #generation = 0;

  constructor(store: Store, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  /** Resolves the token in an `Authorization: Bearer …` header, or throws Unauthorized saying what is wrong. */
  async verify(header: string | undefined): Promise<TokenRecord> {
    const hash = hashToken(bearerToken(header));
    const now = this.#now();
    let entry = this.#cache.get(hash);
    if (!entry || now - entry.at >= TOKEN_CACHE_MS) {
      const generation = this.#generation;
      entry = { record: await this.#store.findToken(hash), at: now };
      if (generation === this.#generation) {
        if (this.#cache.size > 10_000) this.#cache.clear();
        this.#cache.set(hash, entry);
      }
    }
    const record = entry.record;
    if (!record) {
      throw new PaveError(
        "Unauthorized",
        "unknown token: this server never issued it (or its data directory was reset); create one with `pave token create`",
      );
    }
    if (record.revokedAt !== null) {
      throw new PaveError(
        "Unauthorized",
        `token ${record.name} (${record.id}) was revoked at ${iso(record.revokedAt)}; ask an admin for a new one`,
      );
    }
    if (record.expiresAt !== null && record.expiresAt <= now) {
      throw new PaveError(
        "Unauthorized",
        `token ${record.name} (${record.id}) expired at ${iso(record.expiresAt)}; ask an admin for a new one (\`pave token create --ttl …\`)`,
      );
    }
    return record;
  }

  /** Drops a token from the cache, so its next use reads the store: call it after revoking the token. */
  forget(hash: string): void {
    this.#generation++;
    this.#cache.delete(hash);
  }
}

/** The token of a well-formed `Bearer pave_…` header; every other shape is refused with what is wrong with it. */
function bearerToken(header: string | undefined): string {
  const fix = "send `Authorization: Bearer pave_…` (the CLI sends PAVE_TOKEN)";
  if (header === undefined || header.trim() === "") throw new PaveError("Unauthorized", `missing bearer token: ${fix}`);
  if (header.length > MAX_HEADER_CHARS) {
    throw new PaveError(
      "Unauthorized",
      `the Authorization header is ${header.length} characters, too long for a Pave token (${TOKEN_CHARS}): ${fix}`,
    );
  }
  const [scheme = "", ...rest] = header.trim().split(/\s+/);
  if (scheme.toLowerCase() !== "bearer") {
    throw new PaveError("Unauthorized", `the Authorization header is not of the Bearer scheme: ${fix}`);
  }
  const token = rest.join(" ");
  if (token === "") throw new PaveError("Unauthorized", `the Authorization header holds no token after Bearer: ${fix}`);
  if (!token.startsWith("pave_")) {
    throw new PaveError("Unauthorized", `that bearer token is not a Pave token (those start with pave_): ${fix}`);
  }
  if (!TOKEN_FORMAT.test(token)) {
    throw new PaveError(
      "Unauthorized",
      `malformed Pave token: ${token.length} characters where a token is pave_ and 43 base64url characters (${TOKEN_CHARS}); was it cut short or pasted with extra text?`,
    );
  }
  return token;
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
