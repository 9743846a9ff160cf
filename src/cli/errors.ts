// Turns anything a command throws into the one error template (what went wrong, then how to fix it) and an
// exit code scripts can trust: 0 ok, 1 the server or function said no, 2 usage error, 3 server unreachable.
import { CommanderError } from "commander";
import { ApiError } from "../client/index.ts";
import { printable, safeJson } from "./safe-text.ts";

/** A mistake in how the command was called (bad flag value, unsupported option): exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

interface Reported {
  code: string;
  message: string;
  details?: Record<string, unknown>;
  exit: number;
  hint?: string;
}

const HINTS: Record<string, string> = {
  Unauthorized: "set PAVE_TOKEN, or run `pave up` here so the CLI can read its config",
  Forbidden: "the token's role or environments do not allow that; see `pave token ls` and docs/access.md",
  TokenNotFound: "see `pave token ls`",
  LastAdminToken: "create another admin token first: `pave token create --role admin`",
  Unreachable: "start a server with `npm start` or pass --url",
  FunctionNotFound: "see `pave ls`",
  ActivationNotFound: "see `pave activations`",
  EnvironmentNotFound: "see `pave env ls`; create one with `pave env create NAME`",
  EnvironmentExists: "see `pave env ls`; pick another name or `pave env rm NAME` first",
  EnvironmentNotEmpty: "pass --force to delete what it holds along with it",
  EnvironmentProtected: "prod is always present; remove its functions one by one with `pave rm FN`",
  Throttled: "the function is at its concurrency limit; retry later or raise `concurrency` in pave.yaml",
  NotReady: "the server is starting or stopping; retry in a moment",
  CapacityExceeded:
    "the server's memory budget is full; retry later, lower `memory` or `minInstances`, or raise `pave up --memory-budget`",
  SecretNotFound: "see `pave secret ls`",
  KeyNotFound: "see `pave kv ls NAMESPACE`",
  TopicNotFound: "see `pave topic ls`; create one with `pave topic create NAME`",
  BackupExists: "pick another file name, or pass --force to replace it",
  StoreInUse: "stop the server on that data directory (or restore into a new, empty database), then retry",
  PgToolMissing: "install the PostgreSQL client tools (apt-get install postgresql-client) or set PAVE_PG_BINDIR",
  BackupMismatch: "restore an SQLite backup with --data DIR, a PostgreSQL dump with --store postgres://…",
  SecretUndecryptable: "the server's master key is not the one this secret was sealed with; see docs/secrets.md",
};

/** Codes whose message is a list of file:line issues, printed whole. */
const MULTILINE = new Set(["InvalidManifest", "BuildError"]);

function classify(err: unknown, command: string): Reported {
  if (err instanceof ApiError) {
    const exit = err.code === "Unreachable" ? EXIT.unreachable : EXIT.refused;
    return {
      code: err.code,
      message: err.message,
      exit,
      ...(err.details && { details: err.details }),
      ...hintOf(err.code),
    };
  }
  if (err instanceof CommanderError) {
    // Commander's own errors (unknown command or option, missing argument) stay on one line.
    const message = err.message
      .replace(/^error: /, "")
      .replace(/\s*\n\s*/g, " ")
      .replace(/\.$/, "");
    return { code: "UsageError", message: `${message}; see \`${command} --help\``, exit: EXIT.usage };
  }
  if (err instanceof UsageError) return { code: "UsageError", message: err.message, exit: EXIT.usage };
  // Errors raised locally before any request, e.g. the manifest or bundle checks of `pave deploy`.
  const e = err as { name?: unknown; code?: unknown; message?: unknown; details?: Record<string, unknown> };
  const message = typeof e?.message === "string" ? e.message : String(err);
  if (e?.name === "PaveError" && typeof e.code === "string") {
    return { code: e.code, message, exit: EXIT.refused, ...(e.details && { details: e.details }), ...hintOf(e.code) };
  }
  return { code: "Error", message, exit: EXIT.refused };
}

function hintOf(code: string): { hint?: string } {
  const hint = HINTS[code];
  return hint ? { hint } : {};
}

/** Prints the error (stderr, or `{"error":…}` on stdout with --json) and returns the exit code. */
export function reportError(err: unknown, opts: { json: boolean; command: string }): number {
  const r = classify(err, opts.command);
  if (opts.json) {
    const error = { code: r.code, message: r.message, ...(r.details && { details: r.details }) };
    process.stdout.write(`${safeJson({ error })}\n`);
    return r.exit;
  }
  // A message may carry a function's own text (its thrown error): shown, never obeyed by the terminal.
  const message = MULTILINE.has(r.code)
    ? r.message.split("\n").map(printable).join("\n")
    : printable(r.message.split("\n")[0] ?? "");
  const prefix = r.code === "UsageError" || r.code === "Error" ? "" : `${r.code}: `;
  const lines = [`error: ${prefix}${message}`];
  if (r.hint) lines.push(`  hint: ${printable(r.hint)}`);
  const activationId = r.details?.activationId;
  if (typeof activationId === "string") lines.push(`  see: pave activation ${activationId}`);
  process.stderr.write(`${lines.join("\n")}\n`);
  return r.exit;
}
