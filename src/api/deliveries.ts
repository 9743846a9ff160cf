// Delivery over the control API: publishing to a topic, an event's lifecycle, a function's dead-letter list
// (list, replay, purge) and the kill switch (pause / resume) that stops a function without losing its events.
import { z } from "zod";
import { PaveError } from "../errors.ts";
import { invokeIds } from "../gateway/index.ts";
import { MAX_EVENT_BYTES } from "../runtime/index.ts";
import type { Delivery, EventRecord, NewEvent, Store } from "../store/index.ts";
import { envQuery, fnName, lowerName } from "./params.ts";
import { type RouteSpec, route } from "./route.ts";
import type { ApiDeps } from "./routes.ts";

/** Events per publish request; each is at most MAX_EVENT_BYTES of JSON. */
export const MAX_PUBLISH_BATCH = 1000;

const nameParams = z.object({ name: fnName });
const fnTarget = { target: ({ params }: { params: Record<string, string> }) => params.name ?? null };

/** An event as answers show it: its body parsed back, the rest as stored. */
export function eventView(e: EventRecord) {
  const { payload, ...rest } = e;
  return { ...rest, data: JSON.parse(payload) as unknown };
}

function deliveryView(d: Delivery) {
  return {
    function: d.function,
    topic: d.queue,
    state: d.state,
    attempts: d.attempts,
    lastError: d.lastError,
    visibleAt: d.visibleAt,
    updatedAt: d.updatedAt,
  };
}

async function liveFunction(store: Store, env: string, name: string): Promise<void> {
  if (!(await store.getFunction(env, name))) {
    throw new PaveError("FunctionNotFound", `no function ${name} in environment ${env}`);
  }
}

export function deliveryRoutes(deps: ApiDeps): RouteSpec[] {
  const { store } = deps;
  const pauseRoute = (paused: boolean) =>
    route({
      method: "POST",
      path: `/functions/:name/${paused ? "pause" : "resume"}`,
      summary: paused
        ? "Pause a function (the kill switch): it runs nothing, its events and async invocations wait"
        : "Resume a paused function: it runs again and its waiting events are delivered",
      role: "operator",
      params: nameParams,
      query: envQuery,
      audit: { action: paused ? "function.pause" : "function.resume", ...fnTarget, targetIsFunction: true },
      handler: async ({ params, query, token, audit }) => {
        await liveFunction(store, query.env, params.name);
        const before = await store.getPaused(query.env, params.name);
        const changed = await store.setPaused(query.env, params.name, paused ? token.name : null, Date.now());
        audit.before = { paused: before !== undefined };
        audit.after = { paused };
        const queues = (await store.listSubscriptions(query.env))
          .filter((s) => s.function === params.name)
          .map((s) => s.topic);
        await deps.onPauseChanged(query.env, params.name, paused ? [] : [...queues, "$async"]);
        return { function: params.name, env: query.env, paused, changed };
      },
    });

  return [
    route({
      method: "POST",
      path: "/topics/:name/events",
      summary: "Publish one event ({ data }) or a batch ({ events: [{ data }] }); 202 once they are committed",
      role: "developer",
      params: z.object({ name: lowerName("a topic name") }),
      query: envQuery,
      body: z
        .object({
          data: z.unknown().optional(),
          events: z
            .array(z.object({ data: z.unknown() }))
            .min(1)
            .max(MAX_PUBLISH_BATCH)
            .optional(),
        })
        .strict(),
      status: 202,
      // Publishing is data, not configuration: each event's lifecycle is its record (`pave event ID`).
      audit: { exempt: "an event is recorded with its lifecycle (pave event ID)" },
      handler: async ({ params, query, body, token, request, reply }) => {
        const single = Object.hasOwn(body, "data");
        if (single === (body.events !== undefined)) {
          throw new PaveError("BadRequest", "send either { data } for one event or { events: [{ data }, …] }");
        }
        const items = single ? [{ data: body.data }] : (body.events ?? []);
        const header = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h);
        const events: NewEvent[] = items.map((item, i) => {
          if (item.data === undefined) throw new PaveError("BadRequest", `event ${i} has no data`);
          const payload = JSON.stringify(item.data);
          const bytes = Buffer.byteLength(payload);
          if (bytes > MAX_EVENT_BYTES) {
            throw new PaveError(
              "PayloadTooLarge",
              `event ${i} is ${bytes} bytes of JSON; the limit is ${MAX_EVENT_BYTES} per event`,
            );
          }
          // Each event gets a fresh id; the caller's x-correlation-id (else the event's id) follows it everywhere.
          const ids = invokeIds(
            header(request.headers.traceparent),
            header(request.headers.tracestate),
            header(request.headers["x-correlation-id"]),
          );
          return {
            id: ids.activationId,
            payload,
            correlationId: ids.correlationId,
            traceId: ids.traceId,
            source: `api:${token.id}`,
            publishedAt: Date.now(),
          };
        });
        await store.publishEvents(query.env, params.name, events);
        deps.onPublished(query.env, params.name);
        reply.code(202);
        const ids = events.map((e) => e.id);
        return single ? { id: ids[0], ids } : { ids };
      },
    }),
    route({
      method: "GET",
      path: "/events/:id",
      summary: "Show an event's lifecycle: published, then per subscriber each attempt and acked or dead",
      role: "viewer",
      params: z.object({ id: z.string().min(1).max(64) }),
      scope: {
        from: "the event's own environment",
        env: async ({ params }) => (await store.getEventLifecycle(params.id))?.event.env,
      },
      handler: async ({ params }) => {
        const life = await store.getEventLifecycle(params.id);
        if (!life) throw new PaveError("EventNotFound", `no event ${params.id}`);
        return {
          event: eventView(life.event),
          deliveries: life.deliveries.map((d) => ({ ...deliveryView(d), history: d.history })),
        };
      },
    }),
    route({
      method: "GET",
      path: "/functions/:name/dlq",
      summary: "List a function's dead letters: events that failed every retry, with their last error",
      role: "viewer",
      params: nameParams,
      query: envQuery.extend({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict(),
      handler: async ({ params, query }) => {
        const dead = await store.listDeliveries({
          env: query.env,
          function: params.name,
          state: "dead",
          limit: query.limit,
        });
        return {
          deadLetters: dead.map((d) => ({
            eventId: d.eventId,
            topic: d.queue,
            attempts: d.attempts,
            lastError: d.lastError,
            failedAt: d.updatedAt,
            publishedAt: d.event.publishedAt,
            correlationId: d.event.correlationId,
            data: JSON.parse(d.event.payload) as unknown,
          })),
        };
      },
    }),
    route({
      method: "POST",
      path: "/functions/:name/dlq/replay",
      summary: "Deliver dead letters again (all, or the event ids given), attempts starting over",
      role: "developer",
      params: nameParams,
      query: envQuery,
      body: z
        .object({ ids: z.array(z.string().min(1).max(64)).max(10_000).optional() })
        .strict()
        .optional(),
      audit: { action: "dlq.replay", ...fnTarget, targetIsFunction: true },
      handler: async ({ params, query, body, audit }) => {
        const replayed = await store.replayDeliveries(query.env, params.name, body?.ids, Date.now());
        audit.details = { replayed, ids: body?.ids ?? "all" };
        const queues = (await store.listSubscriptions(query.env))
          .filter((s) => s.function === params.name)
          .map((s) => s.topic);
        for (const q of queues) deps.onPublished(query.env, q);
        return { function: params.name, env: query.env, replayed };
      },
    }),
    route({
      method: "DELETE",
      path: "/functions/:name/dlq",
      summary: "Purge a function's dead letters",
      role: "developer",
      params: nameParams,
      query: envQuery,
      audit: { action: "dlq.purge", ...fnTarget, targetIsFunction: true },
      handler: async ({ params, query, audit }) => {
        const purged = await store.purgeDeliveries(query.env, params.name);
        audit.details = { purged };
        return { function: params.name, env: query.env, purged };
      },
    }),
    pauseRoute(true),
    pauseRoute(false),
  ];
}
