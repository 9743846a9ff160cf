// What a store URL names: a PostgreSQL database or an SQLite file. `openStore`, the server's default and the
// backup commands all read a URL the same way, here.
import { join, resolve } from "node:path";

export type StoreLocation = { kind: "postgres"; url: string } | { kind: "sqlite"; path: string };

/** The store a data directory holds when no URL is given: `sqlite:<dataDir>/pave.db`. */
export function defaultStoreUrl(dataDir: string): string {
  return `sqlite:${join(dataDir, "pave.db")}`;
}

/**
 * `postgres://…` / `postgresql://…` name a database; `sqlite:PATH` or a bare path a file (resolved against the
 * working directory), `:memory:` a private in-memory one.
 */
export function parseStoreUrl(url: string): StoreLocation {
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) return { kind: "postgres", url };
  const path = url.startsWith("sqlite:") ? url.slice("sqlite:".length) : url;
  return { kind: "sqlite", path: path === ":memory:" ? path : resolve(path) };
}
