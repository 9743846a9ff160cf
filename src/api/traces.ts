// Traces over the control API: one trace's spans, in start order, with what `pave trace` needs to draw the
// waterfall. Spans are recorded off the hot path, so a trace appears a moment after its last invocation ends.
import { z } from "zod";
import { PaveError } from "../errors.ts";
import { type RouteSpec, route } from "./route.ts";
import type { ApiDeps } from "./routes.ts";

export function traceRoutes(deps: ApiDeps): RouteSpec[] {
  const { store } = deps;
  return [
    route({
      method: "GET",
      path: "/traces/:traceId",
      summary: "Show a trace: its spans in start order (invocations and the binding calls they made)",
      role: "viewer",
      params: z.object({
        traceId: z
          .string()
          .regex(/^[0-9a-f]{32}$/, "a W3C trace id: 32 lowercase hex digits")
          .refine((id) => !/^0+$/.test(id), "a W3C trace id is never all zeros"),
      }),
      handler: async ({ params }) => {
        const spans = await store.listSpans(params.traceId);
        if (spans.length === 0) {
          throw new PaveError(
            "TraceNotFound",
            `no spans of trace ${params.traceId} are kept; it may not be recorded yet, or be past retention`,
          );
        }
        const start = Math.min(...spans.map((s) => s.startedAt));
        const end = Math.max(...spans.map((s) => s.startedAt + s.durationMs));
        return {
          traceId: params.traceId,
          startedAt: start,
          durationMs: Math.round((end - start) * 1000) / 1000,
          spans,
        };
      },
    }),
  ];
}
