// The adapter-neutral queries behind bearer tokens: insert, look up by hash, list and revoke.
// KyselyStore delegates to these; scopes travel as JSON text so every database stores them alike.
import type { Kysely, Selectable } from "kysely";
import type { Database } from "./schema.ts";
import type { Role, TokenRecord } from "./types.ts";

type Db = Kysely<Database>;

export async function insertToken(db: Db, t: TokenRecord): Promise<void> {
  await db
    .insertInto("tokens")
    .values({
      id: t.id,
      hash: t.hash,
      name: t.name,
      role: t.role,
      envs: JSON.stringify(t.envs),
      created_at: t.createdAt,
      expires_at: t.expiresAt,
      revoked_at: t.revokedAt,
    })
    .execute();
}

export async function findToken(db: Db, hash: string): Promise<TokenRecord | undefined> {
  const r = await db.selectFrom("tokens").selectAll().where("hash", "=", hash).executeTakeFirst();
  return r && toToken(r);
}

export async function countTokens(db: Db): Promise<number> {
  const r = await db
    .selectFrom("tokens")
    .select((eb) => eb.fn.countAll().as("n"))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function listTokens(db: Db): Promise<TokenRecord[]> {
  const rows = await db.selectFrom("tokens").selectAll().orderBy("created_at").orderBy("id").execute();
  return rows.map(toToken);
}

export async function revokeToken(db: Db, id: string, now: number): Promise<TokenRecord | undefined> {
  // Only a live token is stamped: revoking twice keeps the time it first stopped working.
  await db
    .updateTable("tokens")
    .set({ revoked_at: now })
    .where("id", "=", id)
    .where("revoked_at", "is", null)
    .execute();
  const r = await db.selectFrom("tokens").selectAll().where("id", "=", id).executeTakeFirst();
  return r && toToken(r);
}

function toToken(r: Selectable<Database["tokens"]>): TokenRecord {
  return {
    id: r.id,
    hash: r.hash,
    name: r.name,
    role: r.role as Role,
    envs: JSON.parse(r.envs) as string[],
    createdAt: Number(r.created_at),
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}
