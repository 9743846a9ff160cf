// structuredClone() by V8's own serialiser (the HTML standard's algorithm as Chrome implements it), reached through
// isolated-vm's ExternalCopy on the isolate's own thread: no host round trip and no polyfill in every isolate.
import { host } from "./bridges.ts";
import { domException } from "./lazy.ts";

/** What V8's serialiser throws for values the standard cannot clone (functions, symbols, WeakMaps, promises …). */
const UNCLONEABLE = /could not be cloned|Unsupported type/;

export function structuredClone(value: unknown, options?: { transfer?: unknown[] }): unknown {
  // biome-ignore lint/complexity/noArguments: WebIDL tells a missing argument (TypeError) from an undefined one.
  if (arguments.length === 0) throw new TypeError("structuredClone: 1 argument required");
  const ExternalCopy = host.ExternalCopy;
  if (!ExternalCopy) throw new Error("the sandbox is not set up");
  if (typeof value === "function" || typeof value === "symbol") {
    throw domException(`${String(value)} could not be cloned.`, "DataCloneError");
  }
  const transfer = options?.transfer === undefined ? [] : [...options.transfer];
  for (const t of transfer) {
    if (!(t instanceof ArrayBuffer)) {
      throw domException("structuredClone: only ArrayBuffers can be transferred", "DataCloneError");
    }
  }
  try {
    return new ExternalCopy(value, transfer.length > 0 ? { transferList: transfer } : undefined).copy({
      release: true,
    });
  } catch (err) {
    if (err instanceof TypeError && UNCLONEABLE.test(err.message)) throw domException(err.message, "DataCloneError");
    throw err;
  }
}
