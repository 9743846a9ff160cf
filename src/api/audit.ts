// The audit log over the control API: query it (newest first, cursor pages), verify its hash chain, and export it
// as JSON Lines. Reading it takes the operator role: it tells who did what, from which address, across all
// environments — more than a developer needs to do their work, and what on-call and security reviews need.
import { Readable } from "node:stream";
import { z } from "zod";
import { AUDIT_ACTIONS } from "../ops/index.ts";
import type { AuditQuery } from "../store/index.ts";
import { fnName, pointInTime } from "./params.ts";
import { type RouteSpec, route } from "./route.ts";
import type { ApiDeps } from "./routes.ts";

const kinds = new Set(AUDIT_ACTIONS.map((a) => a.split(".")[0]));

/** An action by its full name, or `kind.*` for every action of a kind; an unknown one is refused, not ignored. */
const action = z
  .string()
  .refine((a) => (AUDIT_ACTIONS as readonly string[]).includes(a) || (a.endsWith(".*") && kinds.has(a.slice(0, -2))), {
    message: `an action (${AUDIT_ACTIONS.join(", ")}) or a kind of them like secret.*`,
  });

const filters = z.object({
  env: z.string().min(1).optional(),
  actor: z.string().min(1).max(255).optional(),
  function: fnName.optional(),
  action: action.optional(),
  since: pointInTime.optional(),
  until: pointInTime.optional(),
});

function queryOf(q: z.output<typeof filters>): Omit<AuditQuery, "limit"> {
  return {
    ...(q.env !== undefined && { env: q.env }),
    ...(q.actor !== undefined && { actor: q.actor }),
    ...(q.function !== undefined && { function: q.function }),
    ...(q.action !== undefined && { action: q.action }),
    ...(q.since !== undefined && { since: q.since }),
    ...(q.until !== undefined && { until: q.until }),
  };
}

export function auditRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    route({
      method: "GET",
      path: "/audit",
      summary: "List audit records, newest first; `before` is the `next` seq of the previous page",
      role: "operator",
      // An unknown filter is refused, not ignored: a typo must not silently widen the answer.
      query: filters
        .extend({
          before: z.coerce.number().int().min(1).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(50),
        })
        .strict(),
      handler: async ({ query }) => {
        const records = await deps.audit.list({
          ...queryOf(query),
          ...(query.before !== undefined && { beforeSeq: query.before }),
          limit: query.limit,
        });
        return { records, next: records.length === query.limit ? (records.at(-1)?.seq ?? null) : null };
      },
    }),
    route({
      method: "GET",
      path: "/audit/verify",
      summary:
        "Check the whole hash chain: ok with the count and head hash, or the first changed/deleted/reordered record",
      role: "operator",
      handler: async () => deps.audit.verify(),
    }),
    route({
      method: "GET",
      path: "/audit/export",
      summary: "Stream matching audit records, oldest first, as JSON Lines (one record per line)",
      role: "operator",
      query: filters.strict(),
      produces: "application/x-ndjson",
      handler: async ({ query, reply }) => {
        reply.header("content-type", "application/x-ndjson");
        const records = deps.audit.stream(queryOf(query));
        // A stream with backpressure: a large log is read a page at a time as the client takes it.
        return Readable.from(
          (async function* () {
            for await (const r of records) yield `${JSON.stringify(r)}\n`;
          })(),
        );
      },
    }),
  ];
}
