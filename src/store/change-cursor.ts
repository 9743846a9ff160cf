// Where a node is in the change log. Sequence numbers are taken at insert but become visible at commit, so a lower
// one can appear after a higher one was read: each read re-covers a look-back window of time and skips what it saw.

/** One row of the change log as read. */
export interface ChangeRow {
  seq: number;
  /** Epoch ms, from the database's clock at insert. */
  at: number;
  node: string;
  payload: string;
}

/**
 * How far back each read looks. A change is one short statement, so its commit follows its insert by milliseconds;
 * 10 s covers a stalled commit with room to spare while keeping each read small.
 * @default 10000
 */
export const LOOKBACK_MS = 10_000;

export class ChangeCursor {
  readonly #lookbackMs: number;
  /** seq → at, of the rows read within the window: the ones a read returns again and must not apply again. */
  readonly #seen = new Map<number, number>();
  /** The newest `at` read so far (or where the cursor started): the window ends here. */
  #latestAt: number;

  /** `now` is the database's clock when the node starts hearing changes. */
  constructor(now: number, lookbackMs = LOOKBACK_MS) {
    this.#latestAt = now;
    this.#lookbackMs = lookbackMs;
  }

  /** The oldest `at` the next read must return (`at >= since()`). */
  since(): number {
    return this.#latestAt - this.#lookbackMs;
  }

  /** Marks rows as seen without handing them out: those committed before the node started. */
  skip(rows: ChangeRow[]): void {
    this.take(rows);
  }

  /** The rows of a read not seen before, oldest seq first; forgets what slid out of the window. */
  take(rows: ChangeRow[]): ChangeRow[] {
    const fresh = rows.filter((r) => !this.#seen.has(r.seq)).sort((a, b) => a.seq - b.seq);
    for (const r of fresh) {
      this.#seen.set(r.seq, r.at);
      if (r.at > this.#latestAt) this.#latestAt = r.at;
    }
    const since = this.since();
    for (const [seq, at] of this.#seen) if (at < since) this.#seen.delete(seq);
    return fresh;
  }

  /** How many rows the cursor remembers (for tests: it stays bounded by the window). */
  get remembered(): number {
    return this.#seen.size;
  }
}
