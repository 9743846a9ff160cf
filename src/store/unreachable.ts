// Tells a store that cannot be reached (refused, dropped, restarting, out of time to connect) from a query that
// failed: callers answer the first with NotReady (503, retry shortly) — what /readyz says too — not Internal.
import { PaveError } from "../errors.ts";

/** SQLSTATE class 08 (connection exception) and the server going down or not yet up (57P01–57P03). */
const PG_CODE = /^(08|57P0[123]$)/;
/** The socket failing under the driver. */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH"]);
/** node-postgres says these in words only (no code): a dropped connection, a full pool that could not connect. */
const PG_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|is not queryable|Client was closed/;

/** Whether `err` (or an error it was caused by) says the database could not be reached. */
export function isStoreUnreachable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === "object" && e !== null; depth++) {
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === "string" && (PG_CODE.test(code) || SOCKET_CODES.has(code))) return true;
    if (typeof message === "string" && PG_MESSAGES.test(message)) return true;
    e = cause;
  }
  return false;
}

/** `err` as NotReady when it says the database could not be reached; otherwise `err` itself. */
export function notReadyIfUnreachable(err: unknown): unknown {
  return isStoreUnreachable(err)
    ? new PaveError("NotReady", "the store is unreachable; retry shortly", { cause: err })
    : err;
}
