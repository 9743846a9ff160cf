// Schedules over the control API: what each scheduled function fires on, when it fires next and how its last run
// went. Read-only: a schedule changes by deploying the function's manifest.
import type { ScheduleRecord } from "../store/index.ts";
import { envQuery } from "./params.ts";
import { type RouteSpec, route } from "./route.ts";
import type { ApiDeps } from "./routes.ts";

/** The stable shape of one schedule in answers (the lease's internals stay out). */
export function scheduleView(s: ScheduleRecord) {
  return {
    function: s.function,
    env: s.env,
    cron: s.cron,
    timezone: s.timezone ?? "UTC",
    overlap: s.overlap,
    missed: s.missed,
    nextFireAt: s.nextFireAt === Number.MAX_SAFE_INTEGER ? null : s.nextFireAt,
    lastFiredAt: s.lastFiredAt,
    lastStatus: s.lastStatus,
    lastActivation: s.lastActivation,
  };
}

export function scheduleRoutes(deps: ApiDeps): RouteSpec[] {
  const { store } = deps;
  return [
    route({
      method: "GET",
      path: "/schedules",
      summary: "List scheduled functions with their cron, next fire time and last run",
      role: "viewer",
      query: envQuery.strict(),
      handler: async ({ query }) => ({ schedules: (await store.listSchedules(query.env)).map(scheduleView) }),
    }),
  ];
}
