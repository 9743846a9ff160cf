// Bearer tokens: random secrets shown once, stored only as SHA-256 hashes, verified with a short cache so the
// control API does not query the store on every call.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { PaveError } from "../errors.ts";
import type { Role, Store, TokenRecord } from "../store/index.ts";

export function generateToken(): string {
  return `pave_${randomBytes(32).toString("base64url")}`;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Creates a token, stores its hash and returns the secret (the only time it exists in clear). */
export async function createToken(
  store: Store,
  opts: { name: string; role: Role; expiresAt?: number | null; now: number },
): Promise<{ token: string; record: TokenRecord }> {
  const token = generateToken();
  const record: TokenRecord = {
    id: randomUUID(),
    hash: hashToken(token),
    name: opts.name,
    role: opts.role,
    createdAt: opts.now,
    expiresAt: opts.expiresAt ?? null,
    revokedAt: null,
  };
  await store.insertToken(record);
  return { token, record };
}

const CACHE_MS = 10_000;

export class Authenticator {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #cache = new Map<string, { record: TokenRecord | undefined; at: number }>();

  constructor(store: Store, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  /** Resolves the token in an `Authorization: Bearer …` header, or throws Unauthorized. */
  async verify(header: string | undefined): Promise<TokenRecord> {
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    if (!match?.[1]) {
      throw new PaveError("Unauthorized", "missing bearer token: send Authorization: Bearer <token> (see PAVE_TOKEN)");
    }
    const hash = hashToken(match[1]);
    const now = this.#now();
    let entry = this.#cache.get(hash);
    if (!entry || now - entry.at > CACHE_MS) {
      entry = { record: await this.#store.findToken(hash), at: now };
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(hash, entry);
    }
    const record = entry.record;
    if (!record) throw new PaveError("Unauthorized", "unknown token");
    if (record.revokedAt !== null) throw new PaveError("Unauthorized", "token revoked");
    if (record.expiresAt !== null && record.expiresAt <= now) throw new PaveError("Unauthorized", "token expired");
    return record;
  }
}
