// Finds PostgreSQL's own client tools (pg_dump, pg_restore) and runs them against a store URL, with the password
// in the environment instead of on a command line that `ps` shows to every user of the machine.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { PaveError } from "../../errors.ts";

export type PgToolName = "pg_dump" | "pg_restore";

export interface PgTool {
  path: string;
  major: number;
}

/**
 * Where the tools may be: `PAVE_PG_BINDIR` alone when set (an explicit choice); otherwise every directory on PATH,
 * `pg_config --bindir`, and Debian's versioned `/usr/lib/postgresql/<v>/bin`.
 */
function candidateDirs(env: Record<string, string | undefined>): string[] {
  if (env.PAVE_PG_BINDIR) return [env.PAVE_PG_BINDIR];
  const dirs = (env.PATH ?? "").split(":").filter(Boolean);
  const config = spawnSync("pg_config", ["--bindir"], { encoding: "utf8", env: env as NodeJS.ProcessEnv });
  if (config.status === 0) dirs.push(config.stdout.trim());
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) for (const v of readdirSync(debian)) dirs.push(join(debian, v, "bin"));
  return dirs;
}

/** `pg_dump (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)` → 15; undefined when the program does not answer so. */
function majorOf(path: string): number | undefined {
  const r = spawnSync(path, ["--version"], { encoding: "utf8", timeout: 10_000 });
  const m = r.status === 0 ? /\(PostgreSQL\)\s+(\d+)/.exec(r.stdout) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * The newest `name` found (a newer pg_dump reads older servers; an older one refuses newer ones), which must be at
 * least `serverMajor`. PgToolMissing says what was found and what is needed.
 */
export function findPgTool(name: PgToolName, serverMajor: number, env: Record<string, string | undefined>): PgTool {
  const found: PgTool[] = [];
  for (const dir of new Set(candidateDirs(env))) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    const major = majorOf(path);
    if (major !== undefined) found.push({ path, major });
  }
  const best = found.sort((a, b) => b.major - a.major)[0];
  if (!best) {
    const where = env.PAVE_PG_BINDIR ? `in PAVE_PG_BINDIR (${env.PAVE_PG_BINDIR})` : "on PATH or in pg_config --bindir";
    throw new PaveError(
      "PgToolMissing",
      `${name} is not installed (looked ${where}); install the PostgreSQL ${serverMajor} client tools, e.g. apt-get install postgresql-client`,
    );
  }
  if (best.major < serverMajor) {
    throw new PaveError(
      "PgToolMissing",
      `${best.path} is PostgreSQL ${best.major}, older than the server's ${serverMajor}; install the ${serverMajor} client tools or newer`,
    );
  }
  return best;
}

/**
 * Runs a tool on the database of `url`: the URL (without its password) as `--dbname`, the password as PGPASSWORD.
 * Resolves when it exits 0; otherwise BackupFailed with what it printed on stderr.
 */
export function runPgTool(
  tool: PgTool,
  args: string[],
  url: string,
  env: Record<string, string | undefined>,
): Promise<void> {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = "";
  const childEnv = { ...env, ...(password && { PGPASSWORD: password }) } as NodeJS.ProcessEnv;
  // --no-password: fail at once instead of waiting for a prompt nobody answers.
  const argv = [...args, "--no-password", `--dbname=${u.toString()}`];
  return new Promise((resolve, reject) => {
    const child = spawn(tool.path, argv, { env: childEnv, stdio: ["ignore", "ignore", "pipe"] });
    const err: Buffer[] = [];
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", (e) => reject(new PaveError("BackupFailed", `${tool.path} did not start: ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0) return resolve();
      const text = Buffer.concat(err).toString().trim().split("\n").slice(0, 5).join(" / ");
      reject(new PaveError("BackupFailed", `${tool.path.split("/").pop()} failed (exit ${code}): ${text}`));
    });
  });
}

/**
 * Runs a tool on a file alone (no database): its stdout, or BackupInvalid with what it printed on stderr. pg_restore
 * reads a whole archive this way, so a damaged or truncated one is caught before any database is touched.
 */
export function readWithPgTool(
  tool: PgTool,
  args: string[],
  file: string,
  env: Record<string, string | undefined>,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool.path, [...args, file], {
      env: env as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", (e) => reject(new PaveError("BackupFailed", `${tool.path} did not start: ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0) return resolve(Buffer.concat(out).toString());
      const text = Buffer.concat(err).toString().trim().split("\n").slice(0, 3).join(" / ");
      reject(new PaveError("BackupInvalid", `${file} cannot be restored: it is damaged or truncated (${text})`));
    });
  });
}
