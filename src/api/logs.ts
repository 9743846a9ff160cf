// The log routes: query a function's (or a correlation's) log lines, and follow them as server-sent events.
// Filters are validated once here, for both: an unknown one or a malformed time is refused, never ignored.
import { z } from "zod";
import { LINE_ID_BASE, type LogQuery } from "../store/index.ts";
import { followLogs } from "./follow.ts";
import { activationId, envQuery, fnName, pointInTime, timeRange } from "./params.ts";
import { type RouteSpec, route } from "./route.ts";
import type { ApiDeps } from "./routes.ts";
import { refuseUnknownNames } from "./unknown-names.ts";

export const logsQuery = envQuery
  .extend({
    function: fnName.optional(),
    activation: activationId.optional(),
    correlation: z.string().min(1).max(128).optional(),
    since: pointInTime.optional(),
    until: pointInTime.optional(),
    level: z.enum(["debug", "info", "warn", "error"]).optional(),
    grep: z.string().min(1).max(1000).optional(),
    after: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict()
  .superRefine(timeRange);

/**
 * A page's query: as a follower's, but a cursor from before migration 019 renumbered the lines (below LINE_ID_BASE,
 * other than 0) is refused, where it would page from the first line again. The stream takes one and goes on from the
 * newest line (see follow.ts).
 */
const logsPageQuery = logsQuery.refine((q) => q.after === undefined || q.after === 0 || q.after >= LINE_ID_BASE, {
  message: "a cursor from before this store's upgrade renumbered log lines (migration 019): ask again without it",
  path: ["after"],
});

export function logRoutes(deps: Pick<ApiDeps, "store" | "shutdown">): RouteSpec[] {
  const { store } = deps;
  return [
    route({
      method: "GET",
      path: "/logs",
      summary: "Query log lines; `after` is the cursor of the previous answer",
      role: "viewer",
      query: logsPageQuery,
      handler: async ({ query }) => {
        const logs = await store.listLogs(logQueryOf(query));
        if (logs.length === 0) await refuseUnknownNames(store, query.env, query.function);
        return { logs, cursor: logs.at(-1)?.id ?? query.after ?? null };
      },
    }),
    route({
      method: "GET",
      path: "/logs/stream",
      summary: "Follow log lines as server-sent events (resumes from Last-Event-ID)",
      role: "viewer",
      query: logsQuery,
      handler: async ({ query, request, reply }) => {
        const last = Number(request.headers["last-event-id"]);
        const q = logQueryOf(query);
        // Following a name that is not there would wait forever for nothing.
        await refuseUnknownNames(store, query.env, query.function);
        await followLogs(
          store,
          Number.isInteger(last) && last > 0 ? { ...q, after: last } : q,
          request,
          reply,
          deps.shutdown,
        );
        return undefined;
      },
    }),
  ];
}

function logQueryOf(query: z.output<typeof logsQuery>): LogQuery {
  return {
    env: query.env,
    limit: query.limit,
    ...(query.function && { function: query.function }),
    ...(query.activation && { activationId: query.activation }),
    ...(query.correlation && { correlationId: query.correlation }),
    ...(query.since !== undefined && { since: query.since }),
    ...(query.until !== undefined && { until: query.until }),
    ...(query.level && { level: query.level }),
    ...(query.grep && { grep: query.grep }),
    ...(query.after !== undefined && { after: query.after }),
  };
}
