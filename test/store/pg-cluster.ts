// A throwaway PostgreSQL cluster for tests: initdb in a temp dir, started on a free port, stopped and removed after.
// The binaries come from Debian's `postgresql` package; .ci/run installs it, and in CI their absence is a failure.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { chmod, chown, mkdtemp } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where initdb and pg_ctl live: pg_config's bindir, Debian's versioned directory, then PATH. */
function findBindir(): string | undefined {
  const candidates: string[] = [];
  const config = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  if (config.status === 0) candidates.push(config.stdout.trim());
  for (const v of ["17", "16", "15", "14", "13"]) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  for (const dir of (process.env.PATH ?? "").split(":")) if (dir) candidates.push(dir);
  return candidates.find((d) => existsSync(join(d, "initdb")) && existsSync(join(d, "pg_ctl")));
}

const bindir = findBindir();

/** `false` when the tests can run; otherwise why not. CI must run them, so there the reason fails the file. */
export const pgMissing: string | false = bindir
  ? false
  : "PostgreSQL binaries (initdb, pg_ctl) are not installed (apt-get install postgresql)";

export const pgSkip: string | false = pgMissing && !process.env.CI ? pgMissing : false;

export interface PgCluster {
  /** A URL for database `db` on this cluster, as the superuser `postgres`. */
  url(db: string): string;
  /**
   * Stops the server (`pg_ctl stop -m fast`: clients are disconnected) and keeps its data and port, to test what the
   * nodes do while the database is away; `resume()` starts it again.
   */
  halt(): Promise<void>;
  /** Starts a halted server on the same port and data; resolves once it accepts connections. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user the package creates. */
function owner(): { uid: number; gid: number; user: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
  const uid = id("-u");
  const gid = id("-g");
  if (uid.status !== 0 || gid.status !== 0)
    throw new Error("running as root needs a `postgres` user to own the test cluster");
  return { uid: Number(uid.stdout), gid: Number(gid.stdout), user: "postgres" };
}

function run(user: string | undefined, cmd: string, args: string[]): void {
  const [file, argv] = user ? ["runuser", ["-u", user, "--", cmd, ...args]] : [cmd, args];
  const r = spawnSync(file, argv, { encoding: "utf8", cwd: "/" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}${r.stderr}`);
}

/**
 * Starts a cluster with trust authentication on 127.0.0.1 and fsync off: fast, and gone when stopped. It lives in
 * /dev/shm where there is one: copying a database there takes ~25 ms instead of ~400 ms on a virtual disk, and the
 * contract copies one per test.
 */
export async function startPgCluster(): Promise<PgCluster> {
  if (!bindir) throw new Error(pgMissing || "no PostgreSQL binaries");
  const dir = await mkdtemp(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "pave-pg-"));
  const data = join(dir, "data");
  const as = owner();
  if (as) await chown(dir, as.uid, as.gid);
  await chmod(dir, 0o700);
  const port = await freePort();
  run(as?.user, join(bindir, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  const pgCtl = join(bindir, "pg_ctl");
  let running = false;
  const start = () => {
    run(as?.user, pgCtl, ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "start"]);
    running = true;
  };
  start();
  const stop = () => {
    process.off("exit", stop);
    try {
      if (running) run(as?.user, pgCtl, ["-D", data, "-m", "immediate", "-w", "stop"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  // A test process that dies before its after() hook must not leave a server running and its files in RAM.
  process.on("exit", stop);
  return {
    url: (db) => `postgres://postgres@127.0.0.1:${port}/${db}`,
    halt: async () => {
      run(as?.user, pgCtl, ["-D", data, "-m", "fast", "-w", "stop"]);
      running = false;
    },
    resume: async () => start(),
    stop: async () => stop(),
  };
}
