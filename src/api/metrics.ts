// The metrics API over the per-minute rollups: one function's series (`/functions/:name/metrics`) and every
// function's recent figures at once (`/metrics/summary`, what `pave top` polls). Bad spans are refused precisely.
import { z } from "zod";
import { PaveError } from "../errors.ts";
import { functionMetrics, MAX_POINTS, metricsSummary, stepSpan } from "../telemetry/index.ts";
import { envQuery, lowerName, pointInTime } from "./params.ts";
import { type RouteSpec, route } from "./route.ts";
import type { ApiDeps } from "./routes.ts";
import { refuseUnknownNames } from "./unknown-names.ts";

const MINUTE = 60_000;
const UNIT_MS = { s: 1000, m: MINUTE, h: 3_600_000, d: 86_400_000 } as const;
/** Steps tried, finest first, when the caller names none. */
const AUTO_STEPS = [1, 5, 15, 60, 360, 1440].map((m) => m * MINUTE);

/** `1m`, `5m`, `1h`, `1d` → ms; rollups are per minute, so anything finer or not a whole number of minutes is refused. */
function minutes(what: string) {
  return z.string().transform((v, ctx) => {
    const m = /^(\d+)(s|m|h|d)$/.exec(v);
    const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : Number.NaN;
    if (!m) ctx.addIssue({ code: "custom", message: `${what}: a whole number with a unit, like 1m, 5m, 1h or 1d` });
    else if (ms === 0 || ms % MINUTE !== 0) {
      ctx.addIssue({
        code: "custom",
        message: `${what}: a whole number of minutes (at least 1m); rollups are per minute`,
      });
    }
    return ms;
  });
}

const seriesQuery = envQuery
  .extend({
    since: pointInTime.optional().describe("start: a duration ago (1h, 7d), an ISO date or epoch ms; default 1h"),
    until: pointInTime.optional().describe("end: like since; default now"),
    step: minutes("a step")
      .optional()
      .describe(
        "point width, whole minutes (1m, 5m, 1h, 1d); default the finest giving at most 1441 points (a day at 1m)",
      ),
    version: z
      .string()
      .regex(/^[0-9a-f]{1,64}$/, "a version id (hex)")
      .optional(),
  })
  // An unknown filter is refused, not ignored: a typo must not silently widen the answer.
  .strict()
  .transform((q, ctx) => {
    const until = q.until ?? Date.now();
    const since = q.since ?? until - 3_600_000;
    if (since >= until) {
      ctx.addIssue({ code: "custom", path: ["since"], message: "must be before until" });
      return z.NEVER;
    }
    const step = q.step ?? AUTO_STEPS.find((s) => stepSpan(since, until, s).points <= MAX_POINTS) ?? 86_400_000;
    const points = stepSpan(since, until, step).points;
    if (points > MAX_POINTS) {
      // The finest step that would do, so the message says exactly what to ask instead.
      let fits = Math.ceil((until - since) / MAX_POINTS / MINUTE);
      while (stepSpan(since, until, fits * MINUTE).points > MAX_POINTS) fits++;
      ctx.addIssue({
        code: "custom",
        path: ["step"],
        message: `${points} points; at most ${MAX_POINTS} per query: use a step of at least ${fits}m or a shorter span`,
      });
      return z.NEVER;
    }
    return { env: q.env, since, until, step, ...(q.version !== undefined && { version: q.version }) };
  });

export function metricsRoutes(deps: ApiDeps): RouteSpec[] {
  const { store } = deps;
  return [
    route({
      method: "GET",
      path: "/functions/:name/metrics",
      summary:
        "A function's per-step series from its rollups (count, errors, cold starts, p50/p90/p99, GB-s, cost); empty steps included",
      role: "viewer",
      params: z.object({ name: lowerName("a function name") }),
      query: seriesQuery,
      handler: async ({ params, query }) => {
        if (!(await store.getFunction(query.env, params.name))) {
          throw new PaveError("FunctionNotFound", `no function ${params.name} in environment ${query.env}`);
        }
        // A mistyped version would answer a series of zeros, as if it had run and done nothing.
        if (query.version !== undefined && !(await store.getVersion(query.env, params.name, query.version))) {
          throw new PaveError("VersionNotFound", `no version ${query.version} of ${params.name} in ${query.env}`);
        }
        return functionMetrics(store, { ...query, function: params.name, prices: deps.prices });
      },
    }),
    route({
      method: "GET",
      path: "/metrics/summary",
      summary: "Every function's requests/s, error rate, p50/p99, cold starts and cost per hour over a recent window",
      role: "viewer",
      query: envQuery
        .extend({
          window: minutes("a window")
            .refine((ms) => ms <= 86_400_000, "a window: at most 1d")
            .default(5 * MINUTE)
            .describe("how far back, whole minutes (1m … 1d), plus the current minute; default 5m"),
        })
        .strict(),
      handler: async ({ query }) => {
        const summary = await metricsSummary(store, {
          env: query.env,
          windowMs: query.window,
          now: Date.now(),
          prices: deps.prices,
        });
        if (summary.functions.length === 0) await refuseUnknownNames(store, query.env);
        return summary;
      },
    }),
  ];
}
