// The adapter-neutral queries behind aliases: reading a split, moving it with a history entry in the same
// transaction, and reading that history back. KyselyStore delegates to these, and its deploy writes through `moveAlias`.
import type { Kysely, Selectable, Transaction } from "kysely";
import { v7 as uuidv7 } from "uuid";
import { PaveError } from "../errors.ts";
import type { Database } from "./schema.ts";
import type { AliasChange, AliasMove, AliasRecord, AliasTarget, ShadowTarget, SplitEntry } from "./types.ts";

type Db = Kysely<Database>;
type Tx = Transaction<Database>;

export async function readAlias(db: Db | Tx, env: string, fn: string, name: string): Promise<AliasRecord | undefined> {
  const row = await db
    .selectFrom("aliases")
    .selectAll()
    .where("env", "=", env)
    .where("function", "=", fn)
    .where("name", "=", name)
    .executeTakeFirst();
  return row && toAlias(row);
}

export async function listAliases(db: Db, env: string, fn: string): Promise<AliasRecord[]> {
  const rows = await db
    .selectFrom("aliases")
    .selectAll()
    .where("env", "=", env)
    .where("function", "=", fn)
    .orderBy("name")
    .execute();
  return rows.map(toAlias);
}

/** Points the alias at `to` and records the move; the caller holds the transaction (and checked the versions). */
export async function moveAlias(
  tx: Tx,
  env: string,
  fn: string,
  name: string,
  to: AliasTarget,
  move: AliasMove,
): Promise<AliasTarget | null> {
  const current = await readAlias(tx, env, fn, name);
  const baseline = (to.split[0] as SplitEntry).version;
  const row = {
    version: baseline,
    // A single version at 100% is stored as before this column existed, so older readers see the same row.
    split: to.split.length === 1 ? null : JSON.stringify(to.split),
    shadow: to.shadow === null ? null : JSON.stringify(to.shadow),
    updated_at: move.now,
    updated_by: move.by,
  };
  await tx
    .insertInto("aliases")
    .values({ env, function: fn, name, ...row })
    .onConflict((oc) => oc.columns(["env", "function", "name"]).doUpdateSet(row))
    .execute();
  const from = current ? targetOf(current) : null;
  await record(tx, env, fn, name, from, to, move);
  return from;
}

export async function setAlias(
  db: Db,
  env: string,
  fn: string,
  name: string,
  to: AliasTarget,
  move: AliasMove,
): Promise<AliasTarget | null> {
  return db.transaction().execute(async (tx) => {
    const exists = await tx
      .selectFrom("functions")
      .select("name")
      .where("env", "=", env)
      .where("name", "=", fn)
      .executeTakeFirst();
    if (!exists) throw new PaveError("FunctionNotFound", `no function ${fn} in environment ${env}`);
    const wanted = [...new Set([...to.split.map((s) => s.version), ...(to.shadow ? [to.shadow.version] : [])])];
    const found = await tx
      .selectFrom("versions")
      .select("id")
      .where("env", "=", env)
      .where("function", "=", fn)
      .where("id", "in", wanted)
      .execute();
    const missing = wanted.filter((id) => !found.some((f) => f.id === id));
    if (missing.length > 0) {
      throw new PaveError("VersionNotFound", `${fn} in ${env} has no version ${missing.join(", ")}`);
    }
    return moveAlias(tx, env, fn, name, to, move);
  });
}

export async function deleteAlias(db: Db, env: string, fn: string, name: string, move: AliasMove): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const current = await readAlias(tx, env, fn, name);
    if (!current) return false;
    await tx.deleteFrom("aliases").where("env", "=", env).where("function", "=", fn).where("name", "=", name).execute();
    await record(tx, env, fn, name, targetOf(current), null, move);
    return true;
  });
}

export async function listAliasHistory(
  db: Db,
  env: string,
  fn: string,
  alias: string,
  limit: number,
): Promise<AliasChange[]> {
  const rows = await db
    .selectFrom("alias_history")
    .selectAll()
    .where("env", "=", env)
    .where("function", "=", fn)
    .where("alias", "=", alias)
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    env: r.env,
    function: r.function,
    alias: r.alias,
    from: r.from_target === null ? null : (JSON.parse(r.from_target) as AliasTarget),
    to: r.to_target === null ? null : (JSON.parse(r.to_target) as AliasTarget),
    reason: r.reason,
    by: r.changed_by,
    at: Number(r.changed_at),
  }));
}

async function record(
  tx: Tx,
  env: string,
  fn: string,
  alias: string,
  from: AliasTarget | null,
  to: AliasTarget | null,
  move: AliasMove,
): Promise<void> {
  await tx
    .insertInto("alias_history")
    .values({
      id: uuidv7(),
      env,
      function: fn,
      alias,
      from_target: from === null ? null : JSON.stringify(from),
      to_target: to === null ? null : JSON.stringify(to),
      reason: move.reason,
      changed_by: move.by,
      changed_at: move.now,
    })
    .execute();
}

/** Removes a function's aliases (its history stays, for the record). */
export async function deleteAliases(tx: Tx, env: string, fn: string): Promise<void> {
  await tx.deleteFrom("aliases").where("env", "=", env).where("function", "=", fn).execute();
}

function targetOf(a: AliasRecord): AliasTarget {
  return { split: a.split, shadow: a.shadow };
}

function toAlias(r: Selectable<Database["aliases"]>): AliasRecord {
  return {
    env: r.env,
    function: r.function,
    name: r.name,
    split: r.split === null ? [{ version: r.version, weight: 100 }] : (JSON.parse(r.split) as SplitEntry[]),
    shadow: r.shadow === null ? null : (JSON.parse(r.shadow) as ShadowTarget),
    updatedAt: Number(r.updated_at),
    updatedBy: r.updated_by,
  };
}
