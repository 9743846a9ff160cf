// Blob, File and FormData (with its multipart code), loaded on first use like the modules in lazy.ts; apart from
// them because these import lazy.ts themselves (a Blob's stream()), and the imports must not form a cycle.
import { lazyModule } from "./lazy.ts";

/** Resolved by esbuild at build time (sandbox-script.ts); nothing named `require` exists in the isolate. */
declare function require(id: string): unknown;

/** Blob, File and FormData with its multipart encoding and parsing, in one object (see lazy.ts). */
export const forms = lazyModule(() => (require("./multipart.ts") as typeof import("./multipart.ts")).Forms);
