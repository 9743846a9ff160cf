// Work in flight that a shutdown waits for: a count, not a Set of the promises. A Set taking a promise per request (or
// per delivery run) is rebuilt every few insertions, and V8's chain of outgrown tables kept every request's objects
// alive into the old generation (see runtime/small-map.ts).

export class InFlight {
  #count = 0;
  #waiting: (() => void)[] = [];

  /** Counts `work` until it settles. A rejection is counted out and not reported: the caller must handle it. */
  track(work: Promise<unknown>): void {
    this.#count++;
    void work.then(
      () => this.#settled(),
      () => this.#settled(),
    );
  }

  get size(): number {
    return this.#count;
  }

  /** Resolves once nothing is in flight, work tracked meanwhile included: now, or when the last of it settles. */
  async idle(): Promise<void> {
    while (this.#count > 0) await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #settled(): void {
    if (--this.#count > 0) return;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resolve of waiting) resolve();
  }
}
