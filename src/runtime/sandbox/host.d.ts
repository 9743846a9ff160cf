// The few host facilities the sandbox receives at setup; they never stay reachable from function code.

/** isolated-vm's Reference as seen from inside the isolate (only what the sandbox uses). */
interface HostReference<A extends unknown[], R> {
  apply(
    receiver: undefined,
    args: A,
    options: { arguments?: { copy: true }; result: { promise: true; copy: true } },
  ): Promise<R>;
}

/** Installed by index.ts at setup (console.ts); declared here because the sandbox has no DOM lib. */
declare const console: Record<"log" | "info" | "debug" | "warn" | "error", (...args: unknown[]) => void>;

/** Installed by index.ts at setup (timers.ts). */
declare function setTimeout(callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): number;
declare function clearTimeout(id?: number): void;
