// How an isolate is made with the heap isolated-vm gives it. isolated-vm sizes an isolate's young generation from
// its memory limit (2 MB at 128 MB). A --max-semi-space-size given to Node, as bin/pave.js gives 32 MB for the host's
// own heap, is read again by V8 for every isolate it creates and replaces that size: an isolate that keeps what it
// allocates then reaches ~106 MB of heap where it reaches ~67 without the flag (test/runtime/isolate-heap.test.ts).
// The flag is cleared before the first isolate is made; the host's heap was sized at startup and keeps its own.
import v8 from "node:v8";
import ivm from "isolated-vm";

/** Whether Node was given a young-generation size (V8 takes `-` or `_` in a flag's name). */
const SIZED = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)].some((arg) =>
  /^--max[-_]semi[-_]space[-_]size\b/.test(arg),
);
let cleared = !SIZED;

/** A new isolate whose heap is limited to `memoryLimitMb`, its young generation sized by isolated-vm. */
export function newIsolate(memoryLimitMb: number): ivm.Isolate {
  if (!cleared) {
    // 0: no size given, so V8 takes the one isolated-vm asks for. Only when one was given: V8's flags are left alone
    // otherwise.
    v8.setFlagsFromString("--max-semi-space-size=0");
    cleared = true;
  }
  return new ivm.Isolate({ memoryLimit: memoryLimitMb });
}
