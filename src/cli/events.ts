// `pave publish TOPIC` and `pave event ID`: putting an event on a topic, and following one through its lifecycle —
// published, each delivery attempt with its activation, then acked or dead.
import { readFile } from "node:fs/promises";
import { type Command, InvalidArgumentError, Option } from "commander";
import { clientFrom, optsOf } from "./client.ts";
import { UsageError } from "./errors.ts";
import { envOption } from "./options.ts";
import { formatTime, printJson, table } from "./output.ts";
import { printable, safeJson } from "./safe-text.ts";

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new InvalidArgumentError(
      `Not valid JSON (${(err as Error).message}); quote it for the shell, e.g. --data '{"order":42}'`,
    );
  }
}

export function registerEvents(program: Command): void {
  program
    .command("publish")
    .description("publish an event to a topic; prints its id once it is committed")
    .argument("<topic>", "topic name")
    .addOption(new Option("--data <json>", "the event's body, as JSON").argParser(parseJson))
    .option("--file <path>", "read the body from a JSON file; a JSON array with --batch is one event per element")
    .option("--batch", "with --file: the file holds a JSON array of event bodies")
    .option("--correlation-id <id>", "carried to every activation the event leads to (default: the event's id)")
    .addOption(envOption())
    .action(async (topic: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf<{ data?: unknown; file?: string; batch?: boolean; env: string; correlationId?: string }>(cmd);
      if ((opts.data === undefined) === (opts.file === undefined)) {
        throw new UsageError("give the event's body with --data JSON or --file PATH (one of them)");
      }
      let data = opts.data;
      if (opts.file !== undefined) {
        try {
          data = JSON.parse(await readFile(opts.file, "utf8"));
        } catch (err) {
          throw new UsageError(`cannot read JSON from ${opts.file}: ${(err as Error).message}`);
        }
      }
      if (opts.batch && !Array.isArray(data)) throw new UsageError("--batch needs a JSON array in --file");
      const body = opts.batch ? { events: (data as unknown[]).map((d) => ({ data: d })) } : { data };
      const out = await clientFrom(opts).publish(topic, body, {
        env: opts.env,
        ...(opts.correlationId !== undefined && { correlationId: opts.correlationId }),
      });
      if (opts.json) return printJson(out);
      process.stdout.write(`${out.ids.join("\n")}\n`);
    });

  program
    .command("event")
    .description("show an event's lifecycle: published → delivered (each attempt) → acked | dead")
    .argument("<id>", "event id (as `pave publish` printed it)")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const opts = optsOf(cmd);
      const out = await clientFrom(opts).getEvent(id);
      if (opts.json) return printJson(out);
      const e = out.event;
      const lines = [
        `event ${e.id} on topic ${e.topic} (${e.env})`,
        `  published    ${formatTime(e.publishedAt)} by ${e.source}`,
        `  correlation  ${e.correlationId}`,
        `  trace        ${e.traceId}`,
        `  data         ${safeJson(e.data)}`,
      ];
      if (out.deliveries.length === 0) lines.push("  no subscriber was owed this event");
      for (const d of out.deliveries) {
        lines.push("", `→ ${d.function}: ${d.state} after ${d.attempts} attempt(s)`);
        const rows = d.history.map((h) => [
          formatTime(h.at),
          h.outcome === "replayed" ? "-" : String(h.attempt),
          h.outcome,
          h.activationId || "-",
          printable(h.error ?? ""),
        ]);
        if (rows.length > 0) lines.push(table(rows, ["AT", "ATTEMPT", "OUTCOME", "ACTIVATION", "ERROR"]));
      }
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
