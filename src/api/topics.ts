// Topics over the control API: create one (idempotent) and list them. Publishing and subscriptions belong to the
// functions' bindings and the triggers.
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
      summary: "List topics",
      role: "viewer",
      query: envQuery,
      handler: async ({ query }) => ({ topics: await store.listTopics(query.env) }),
    }),
  ];
}
