// The change feed on PostgreSQL: `announce` inserts into the change log and notifies in one statement; each node
// LISTENs on one dedicated connection and reads the log when notified, polling it whenever it is not listening.
import { type Kysely, sql } from "kysely";
import pg from "pg";
import type { Logger } from "../../logger.ts";
import { Reloader } from "../../reloader.ts";
import { ChangeCursor, type ChangeRow } from "../change-cursor.ts";
import type { Change, ChangeFeed, ClusterOptions } from "../change-types.ts";
import type { Database } from "../schema.ts";

/** The notification channel: its payload is the new row's seq, a nudge to read the log (the log is the truth). */
export const CHANNEL = "pave_changes";
/** How the listening session shows in pg_stat_activity. */
export const LISTEN_APPLICATION = "pave-listen";
/** Reconnecting backs off from this to MAX_RECONNECT_MS, so a database that is down is not hammered. */
const FIRST_RECONNECT_MS = 250;
const MAX_RECONNECT_MS = 5000;

const nowMs = sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`;

export class PgChangeFeed implements ChangeFeed {
  readonly #url: string;
  readonly #db: Kysely<Database>;
  readonly #node: string;
  readonly #logger: Logger;
  readonly #poll: boolean;
  readonly #pollIntervalMs: number;
  readonly #handlers: ((change: Change) => Promise<void>)[] = [];
  #cursor: ChangeCursor | undefined;
  #client: pg.Client | undefined;
  #listening = false;
  #closed = false;
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #reconnectMs = FIRST_RECONNECT_MS;
  #connecting: Promise<void> | undefined;
  /** Reads of the log: calls while one runs share it and one follow-up read (a burst of notifications, one read). */
  readonly #reader = new Reloader(
    () => this.#readNew(),
    (err) => {
      if (!this.#failing) this.#logger.warn({ err }, "reading the change log failed; retrying");
      this.#failing = true;
      // Polling retries by itself; a listener hears nothing more about what this read missed, so retry here.
      if (this.#listening) setTimeout(() => void this.#read(), this.#pollIntervalMs).unref();
    },
  );
  /** Set while reads fail, so an outage is logged once, not every poll. */
  #failing = false;

  constructor(url: string, db: Kysely<Database>, opts: ClusterOptions) {
    this.#url = url;
    this.#db = db;
    this.#node = opts.node;
    this.#logger = opts.logger.child({ component: "changes" });
    this.#poll = opts.poll ?? false;
    this.#pollIntervalMs = opts.pollIntervalMs ?? 500;
  }

  get mode(): "listening" | "polling" {
    return this.#listening ? "listening" : "polling";
  }

  async start(): Promise<void> {
    const { rows } = await sql<{ now: number }>`select ${nowMs} as now`.execute(this.#db);
    const cursor = new ChangeCursor(Number(rows[0]?.now));
    cursor.skip(await this.#rows(cursor.since()));
    this.#cursor = cursor;
    // Polls only while not listening: before the first connection, and whenever the listener is down.
    this.#pollTimer = setInterval(() => {
      if (!this.#listening) void this.#read();
    }, this.#pollIntervalMs);
    this.#pollTimer.unref();
    if (!this.#poll) await this.#connect();
  }

  async announce(change: Change): Promise<void> {
    try {
      // One statement: the notification is sent when the row commits, never for a row that did not.
      await sql`with c as (
          insert into changes (at, node, payload) values (${nowMs}, ${this.#node}, ${JSON.stringify(change)})
          returning seq
        ) select pg_notify(${CHANNEL}, seq::text) from c`.execute(this.#db);
    } catch (err) {
      this.#logger.warn({ err, change }, "announcing a change failed; other nodes catch up when they revalidate");
    }
  }

  subscribe(handler: (change: Change) => Promise<void>): void {
    this.#handlers.push(handler);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#pollTimer);
    clearTimeout(this.#reconnectTimer);
    await this.#connecting;
    const client = this.#client;
    this.#client = undefined;
    this.#listening = false;
    await client?.end().catch(() => {});
    await this.#reader.stop();
  }

  /** Opens the listening session; on failure, polls and tries again later. */
  #connect(): Promise<void> {
    this.#connecting ??= this.#listen().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#url,
      application_name: LISTEN_APPLICATION,
      connectionTimeoutMillis: 5000,
      // A dead peer (a database host gone without closing the socket) is noticed by TCP keepalive.
      keepAlive: true,
    });
    client.on("error", (err) => this.#lost(client, err));
    client.on("end", () => this.#lost(client, undefined));
    client.on("notification", (msg) => {
      if (msg.channel === CHANNEL) void this.#read();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      client.removeAllListeners("end");
      await client.end().catch(() => {});
      if (this.#closed) return;
      this.#logger.debug({ err }, "listening for changes failed; polling until it works");
      this.#retry();
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    if (this.#client === undefined && this.#reconnectMs > FIRST_RECONNECT_MS) {
      this.#logger.info("listening for changes again");
    }
    this.#client = client;
    this.#listening = true;
    this.#reconnectMs = FIRST_RECONNECT_MS;
    // Listening from here on; what was announced while nobody listened is in the log.
    void this.#read();
  }

  #lost(client: pg.Client, err: Error | undefined): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    this.#listening = false;
    client.removeAllListeners("end");
    void client.end().catch(() => {});
    if (this.#closed) return;
    this.#logger.warn({ err }, "the change listener lost its connection; polling until it is back");
    void this.#read();
    this.#retry();
  }

  #retry(): void {
    if (this.#closed) return;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => void this.#connect(), this.#reconnectMs);
    this.#reconnectTimer.unref();
    this.#reconnectMs = Math.min(this.#reconnectMs * 2, MAX_RECONNECT_MS);
  }

  /** Reads the log and applies what is new. Never rejects. */
  #read(): Promise<void> {
    return this.#cursor ? this.#reader.reload() : Promise.resolve();
  }

  async #readNew(): Promise<void> {
    const cursor = this.#cursor as ChangeCursor;
    const rows = cursor.take(await this.#rows(cursor.since()));
    if (this.#failing) this.#logger.info("reading the change log works again");
    this.#failing = false;
    for (const row of rows) if (row.node !== this.#node) await this.#apply(row);
  }

  async #apply(row: ChangeRow): Promise<void> {
    let change: Change;
    try {
      change = JSON.parse(row.payload) as Change;
    } catch (err) {
      this.#logger.warn({ err, seq: row.seq }, "a change in the log is not JSON; skipped");
      return;
    }
    for (const handler of this.#handlers) {
      try {
        await handler(change);
      } catch (err) {
        this.#logger.warn({ err, change, from: row.node }, "applying a change from another node failed");
      }
    }
  }

  async #rows(since: number): Promise<ChangeRow[]> {
    return this.#db
      .selectFrom("changes")
      .select(["seq", "at", "node", "payload"])
      .where("at", ">=", since)
      .orderBy("seq")
      .execute();
  }
}
