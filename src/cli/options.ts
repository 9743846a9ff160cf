// Options shared by several commands (--env, --limit), with parsers that reject bad values up front, so a
// mistake is a usage error (exit 2) and never reaches the server.
import { InvalidArgumentError, Option } from "commander";
import { durationMs } from "../client/index.ts";

export function envOption(): Option {
  return new Option("--env <env>", "environment").default("prod");
}

/** The data directory `pave up` keeps its SQLite store, master key and admin token in. */
export function dataOption(): Option {
  return new Option("--data <dir>", "data directory").default(".pave");
}

export function storeOption(): Option {
  return new Option(
    "--store <url>",
    "sqlite:PATH or postgres://… (default: PAVE_STORE, else sqlite in the data directory)",
  );
}

/** The store URL given by --store or PAVE_STORE; undefined means the SQLite file in the data directory. */
export function storeFrom(opts: { store?: string }, env: Record<string, string | undefined>): string | undefined {
  return opts.store ?? env.PAVE_STORE;
}

/** A PostgreSQL pool size: a whole number from 1 to 1000. */
export function poolSize(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new InvalidArgumentError("Expected a whole number from 1 to 1000.");
  return n;
}

/** The pool size given by --store-pool or PAVE_STORE_POOL; undefined means the store's default. */
export function poolFrom(opts: { storePool?: number }, env: Record<string, string | undefined>): number | undefined {
  if (opts.storePool !== undefined) return opts.storePool;
  const fromEnv = env.PAVE_STORE_POOL;
  if (fromEnv === undefined || fromEnv === "") return undefined;
  try {
    return poolSize(fromEnv);
  } catch {
    throw new InvalidArgumentError(
      `PAVE_STORE_POOL must be a whole number from 1 to 1000, not ${JSON.stringify(fromEnv)}.`,
    );
  }
}

export function limitOption(max: number, what: string): Option {
  return new Option("--limit <n>", `how many ${what} to show (1-${max})`).argParser((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`Expected a whole number from 1 to ${max}.`);
    return n;
  });
}

/** `500ms`, `30s`, `5m`, `1h`, `30d` → milliseconds (a duration of at least 1 ms), read as the server reads them. */
export function parseDuration(value: string): number {
  const ms = durationMs(value);
  if (ms === undefined) throw new InvalidArgumentError("Expected a duration like 30s, 5m, 1h or 30d.");
  return ms;
}

/** `512` (MB), `512m`, `4g` or `75%` (of this host's memory) → whole megabytes, at least 16. */
export function parseMemorySize(value: string, totalMb: number): number {
  const m = /^(\d+(?:\.\d+)?)\s*(mb?|gb?|%)?$/i.exec(value.trim());
  const n = Number(m?.[1]);
  const unit = (m?.[2] ?? "m").toLowerCase()[0];
  const mb = Math.floor(unit === "g" ? n * 1024 : unit === "%" ? (n / 100) * totalMb : n);
  if (!m || !(mb >= 16) || (unit === "%" && n > 100)) {
    throw new InvalidArgumentError("Expected megabytes (4096), a size like 512m or 4g, or a share of memory like 50%.");
  }
  return mb;
}
