// `pave invoke FN`: calls a function synchronously with a JSON payload and prints its result; the activation
// id goes to stderr so stdout stays the bare result. With --async it queues the call and prints the activation id.
import { type Command, InvalidArgumentError, Option } from "commander";
import { clientFrom, optsOf } from "./client.ts";
import { UsageError } from "./errors.ts";
import { envOption } from "./options.ts";
import { dim, printJson } from "./output.ts";

function parseData(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new InvalidArgumentError(
      `Not valid JSON (${(err as Error).message}); quote it for the shell, e.g. --data '{"name":"you"}'`,
    );
  }
}

export function registerInvoke(program: Command): void {
  program
    .command("invoke")
    .description("invoke a function and print its result")
    .argument("<fn>", "function name")
    .addOption(new Option("--data <json>", "the payload, as JSON").argParser(parseData))
    .addOption(envOption())
    .option("--async", "queue the invocation and print its activation id at once (read it with pave activation ID)")
    .option("--idempotency-key <key>", "with --async: a repeat within 24 h returns the first activation")
    .action(async (fn: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ data?: unknown; env: string; async?: boolean; idempotencyKey?: string }>(cmd);
      if (opts.idempotencyKey !== undefined && !opts.async) {
        throw new UsageError("--idempotency-key goes with --async; add --async");
      }
      if (opts.async) {
        const queued = await clientFrom(opts).invokeAsync(fn, opts.data ?? null, {
          env: opts.env,
          ...(opts.idempotencyKey !== undefined && { idempotencyKey: opts.idempotencyKey }),
        });
        if (opts.json) return printJson(queued);
        process.stdout.write(`${queued.activationId}\n`);
        const note = queued.duplicate ? "already queued under this idempotency key" : "queued";
        process.stderr.write(`${dim(`${note}; its result: pave activation ${queued.activationId}`)}\n`);
        return;
      }
      const out = await clientFrom(opts).invoke(fn, opts.data ?? null, opts.env);
      if (opts.json) return printJson(out);
      const text = typeof out.result === "string" ? out.result : JSON.stringify(out.result, null, 2);
      process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
      process.stderr.write(`${dim(`activation ${out.activationId}`)}\n`);
    });
}
