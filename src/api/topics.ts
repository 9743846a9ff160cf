// Topics over the control API: create one (idempotent) and list them with each subscription's backlog (depth,
// oldest age, dead letters). Publishing and event lifecycles are in deliveries.ts.
import { z } from "zod";
import { envQuery, lowerName } from "./params.ts";
import { type RouteSpec, route } from "./route.ts";
import type { ApiDeps } from "./routes.ts";

export function topicRoutes(deps: ApiDeps): RouteSpec[] {
  const { store } = deps;
  return [
    route({
      method: "POST",
      path: "/topics",
      summary: "Create a topic (201 when created, 200 when it already existed)",
      role: "operator",
      query: envQuery,
      body: z.object({ name: lowerName("a topic name") }),
      audit: {
        action: "topic.create",
        target: ({ body }) => {
          const name = (body as { name?: unknown } | null)?.name;
          return typeof name === "string" ? name : null;
        },
      },
      handler: async ({ query, body, reply, audit }) => {
        const created = await store.createTopic(query.env, body.name, Date.now());
        const topic = await store.getTopic(query.env, body.name);
        audit.before = created ? null : { createdAt: topic?.createdAt };
        audit.after = { createdAt: topic?.createdAt };
        reply.code(created ? 201 : 200);
        return { created, topic };
      },
    }),
    route({
      method: "GET",
      path: "/topics",
      summary: "List topics, each with its subscriptions' depth, oldest waiting event and dead letters",
      role: "viewer",
      query: envQuery,
      handler: async ({ query }) => {
        const [topics, subs, backlog] = await Promise.all([
          store.listTopics(query.env),
          store.listSubscriptions(query.env),
          store.deliveryBacklog(query.env),
        ]);
        const now = Date.now();
        return {
          topics: topics.map((t) => ({
            ...t,
            subscriptions: subs
              .filter((s) => s.topic === t.name)
              .map((s) => {
                const b = backlog.find((r) => r.function === s.function && r.queue === t.name);
                return {
                  function: s.function,
                  batchSize: s.batchSize,
                  maxConcurrency: s.maxConcurrency,
                  maxRetries: s.maxRetries,
                  filter: s.filter,
                  depth: b?.depth ?? 0,
                  oldestAgeSeconds: b?.oldestAt == null ? 0 : Math.max(0, (now - b.oldestAt) / 1000),
                  dead: b?.dead ?? 0,
                };
              }),
          })),
        };
      },
    }),
  ];
}
