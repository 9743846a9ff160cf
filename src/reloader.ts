// Re-reading something after it changed — the live manifests (schedules, subscriptions) after a deploy, the change
// log after a notification: calls while a read is running share it and one follow-up read, so a burst of changes
// costs two reads, not one per change.

export class Reloader {
  readonly #load: () => Promise<void>;
  readonly #onError: (err: unknown) => void;
  readonly #after: () => void;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  /** `onError` hears a failed read (the next reload tries again); `after` runs when a reload is done. */
  constructor(load: () => Promise<void>, onError: (err: unknown) => void, after: () => void = () => {}) {
    this.#load = load;
    this.#onError = onError;
    this.#after = after;
  }

  /** Never rejects; resolves when the read it joined, and any follow-up, is done. */
  reload(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    const run = async (): Promise<void> => {
      do {
        this.#again = false;
        try {
          await this.#load();
        } catch (err) {
          this.#onError(err);
        }
      } while (this.#again && !this.#stopped);
    };
    this.#running = run().finally(() => {
      this.#running = undefined;
      this.#after();
    });
    return this.#running;
  }

  /** Starts no more reads and waits for the one running, if any. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }
}
