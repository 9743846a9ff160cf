// Spare isolates booted ahead, per memory size, so a cold start skips creating the isolate and loading the sandbox
// (most of its cost). They hold no function code, so the memory budget (capacity.ts) does not count them (by default
// two per memory size in use: RuntimeOptions.spares).
import { type Booted, boot, type LogLimits } from "./instance.ts";
import type { SandboxScript } from "./sandbox-script.ts";

export class Spares {
  readonly #sandbox: SandboxScript;
  readonly #count: number;
  readonly #logLimits: LogLimits;
  /** Booted spare isolates by memory size, and how many are being booted. */
  readonly #bySize = new Map<number, { ready: Booted[]; booting: number }>();
  #closed = false;

  /** `count` spares are kept per memory size in use; 0 disables. */
  constructor(sandbox: SandboxScript, count: number, logLimits: LogLimits) {
    this.#sandbox = sandbox;
    this.#count = count;
    this.#logLimits = logLimits;
  }

  /** A booted isolate of this size: a spare if one is ready, else a new one. */
  async take(memoryMb: number): Promise<Booted> {
    return this.#of(memoryMb).ready.pop() ?? boot(this.#sandbox, memoryMb, this.#logLimits);
  }

  /**
   * Boots spares of this size in the background until there are `count` of them. Called after a cold start, not
   * before: booting competes for the same few isolate threads as the cold start itself.
   */
  refill(memoryMb: number): void {
    // Creating an isolate takes a few ms on this thread: let the cold start that called this send its invocation
    // first (it is sent at the end of this turn of the event loop; a timer runs on the next).
    setTimeout(() => this.#boot(memoryMb), 0);
  }

  #boot(memoryMb: number): void {
    const spares = this.#of(memoryMb);
    while (!this.#closed && spares.ready.length + spares.booting < this.#count) {
      spares.booting++;
      boot(this.#sandbox, memoryMb, this.#logLimits).then(
        (booted) => {
          spares.booting--;
          if (this.#closed) booted.isolate.dispose();
          else spares.ready.push(booted);
        },
        () => {
          // Booting a spare only fails when the process is out of resources; the next cold start boots inline.
          spares.booting--;
        },
      );
    }
  }

  /** Spares ready now. */
  get ready(): number {
    let n = 0;
    for (const { ready } of this.#bySize.values()) n += ready.length;
    return n;
  }

  close(): void {
    this.#closed = true;
    for (const { ready } of this.#bySize.values()) for (const b of ready) b.isolate.dispose();
    this.#bySize.clear();
  }

  #of(memoryMb: number): { ready: Booted[]; booting: number } {
    let spares = this.#bySize.get(memoryMb);
    if (!spares) {
      spares = { ready: [], booting: 0 };
      this.#bySize.set(memoryMb, spares);
    }
    return spares;
  }
}
