// One leader among the nodes on a PostgreSQL database: the node whose dedicated session holds Pave's advisory lock.
// The lock lives and dies with that session, so a leader that dies or loses its connection frees it for the others.
import pg from "pg";
import type { Logger } from "../../logger.ts";
import type { ClusterOptions, LeaderLock } from "../change-types.ts";

/** The first 8 bytes of sha256("pave:leader") as a signed bigint: Pave's own key, like the migration lock's. */
export const LEADER_LOCK_KEY = -5_392_529_787_371_140_989n;
/** How the leader's session shows in pg_stat_activity. */
export const LEADER_APPLICATION = "pave-leader";
/** A check of the session that takes longer than this counts as a lost session: the lead is given up. */
const CHECK_TIMEOUT_MS = 2000;

export class PgLeaderLock implements LeaderLock {
  readonly #url: string;
  readonly #logger: Logger;
  readonly #retryMs: number;
  readonly #handlers: ((leading: boolean) => void)[] = [];
  #client: pg.Client | undefined;
  #leading = false;
  #closed = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<void> | undefined;

  constructor(url: string, opts: ClusterOptions) {
    this.#url = url;
    this.#logger = opts.logger.child({ component: "leader" });
    this.#retryMs = opts.leaderRetryMs ?? 1000;
  }

  get leading(): boolean {
    return this.#leading;
  }

  onChange(handler: (leading: boolean) => void): void {
    this.#handlers.push(handler);
  }

  start(): void {
    // The leader checks its session as often as the others try to take over: a lost session is noticed that fast.
    const tick = () => {
      this.#running ??= this.#tick().finally(() => {
        this.#running = undefined;
      });
    };
    this.#timer = setInterval(tick, this.#retryMs);
    this.#timer.unref();
    tick();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#running;
    const client = this.#client;
    this.#client = undefined;
    this.#set(false);
    // Ending the session releases the lock at once: the next node takes over within its retry interval.
    await client?.end().catch(() => {});
  }

  async #tick(): Promise<void> {
    if (this.#closed) return;
    try {
      const client = this.#client ?? (await this.#open());
      if (this.#closed) return;
      if (this.#leading) {
        // Still holding it on this session? (Behind a pooler in transaction mode the session may not be ours.)
        const { rows } = await client.query<{ held: boolean }>(
          "select exists (select 1 from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() and granted) as held",
        );
        if (!rows[0]?.held) throw new Error("the leader lock is no longer held by this session");
        return;
      }
      const { rows } = await client.query<{ locked: boolean }>("select pg_try_advisory_lock($1::bigint) as locked", [
        LEADER_LOCK_KEY.toString(),
      ]);
      if (rows[0]?.locked && client === this.#client && !this.#closed) this.#set(true);
    } catch (err) {
      if (this.#client) this.#drop(this.#client, err as Error);
    }
  }

  async #open(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.#url,
      application_name: LEADER_APPLICATION,
      connectionTimeoutMillis: 5000,
      query_timeout: CHECK_TIMEOUT_MS,
      keepAlive: true,
    });
    client.on("error", (err) => this.#drop(client, err));
    client.on("end", () => this.#drop(client, undefined));
    try {
      await client.connect();
    } catch (err) {
      client.removeAllListeners("end");
      await client.end().catch(() => {});
      throw err;
    }
    this.#client = client;
    return client;
  }

  /** The session is gone or unsure: stop leading at once, and end it so the database frees the lock. */
  #drop(client: pg.Client, err: Error | undefined): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    client.removeAllListeners("end");
    void client.end().catch(() => {});
    if (this.#leading && !this.#closed) this.#logger.warn({ err }, "the leader lost its database session; not leading");
    this.#set(false);
  }

  #set(leading: boolean): void {
    if (leading === this.#leading) return;
    this.#leading = leading;
    if (leading) this.#logger.info("leading: this node runs the scheduler and housekeeping");
    for (const handler of this.#handlers) handler(leading);
  }
}
