// Secrets over the control API: set (sealed before it reaches the store), list names, remove. No answer, log line or
// error carries a value: values go in once, sealed, and come out only inside the functions bound to them.
import { z } from "zod";
import { PaveError } from "../errors.ts";
import { envQuery } from "./params.ts";
import { type RouteSpec, route } from "./route.ts";
import type { ApiDeps } from "./routes.ts";

/** The shortest secret value (see redactSecrets in the runtime, which scrubs values from logs). */
export const SECRET_MIN_CHARS = 4;
/** The largest secret value, in bytes of UTF-8. */
export const SECRET_MAX_BYTES = 64 * 1024;

const nameParams = z.object({
  name: z
    .string()
    .max(255, "a secret name is at most 255 characters")
    .regex(/^[A-Z_][A-Z0-9_]*$/, "an UPPER_SNAKE_CASE secret name: A-Z, 0-9 and _, not starting with a digit"),
});

// Messages about the value never include it: zod's default messages state only the rule and the type.
const valueBody = z.object({
  value: z
    .string()
    // Shorter values could not be told apart from ordinary text, so they could not be scrubbed from logs.
    .min(SECRET_MIN_CHARS, `a secret value is at least ${SECRET_MIN_CHARS} characters`)
    .refine((v) => Buffer.byteLength(v, "utf8") <= SECRET_MAX_BYTES, {
      message: `a secret value is at most 64 KiB (${SECRET_MAX_BYTES} bytes of UTF-8)`,
    }),
});

export function secretRoutes(deps: ApiDeps): RouteSpec[] {
  const { store } = deps;
  return [
    route({
      method: "PUT",
      path: "/secrets/:name",
      summary: "Set a secret (201 when new, 200 when replaced); the value is sealed with the master key",
      role: "operator",
      params: nameParams,
      query: envQuery,
      body: valueBody,
      // Names and master-key ids only: the body (the value) is never read for the record.
      audit: { action: "secret.set", target: ({ params }) => params.name ?? null },
      handler: async ({ params, query, body, reply, audit }) => {
        const { env } = query;
        const previous = (await store.getSecrets(env, [params.name])).get(params.name);
        const existed = previous !== undefined;
        const now = Date.now();
        const sealed = deps.secretBox.seal(env, params.name, body.value);
        await store.putSecret(env, params.name, sealed, now);
        audit.before = previous ? { keyId: previous.keyId } : null;
        audit.after = { keyId: sealed.keyId, updatedAt: now };
        await deps.onSecretChanged(env, params.name);
        reply.code(existed ? 200 : 201);
        return { name: params.name, env, created: !existed, updatedAt: now };
      },
    }),
    route({
      method: "GET",
      path: "/secrets",
      summary: "List secret names with when they were created and last set (never their values)",
      role: "developer",
      query: envQuery,
      handler: async ({ query }) => ({ secrets: await store.listSecrets(query.env) }),
    }),
    route({
      method: "DELETE",
      path: "/secrets/:name",
      summary: "Remove a secret",
      role: "operator",
      params: nameParams,
      query: envQuery,
      audit: { action: "secret.delete", target: ({ params }) => params.name ?? null },
      handler: async ({ params, query, audit }) => {
        const previous = (await store.getSecrets(query.env, [params.name])).get(params.name);
        if (previous) audit.before = { keyId: previous.keyId };
        if (!(await store.deleteSecret(query.env, params.name))) {
          throw new PaveError("SecretNotFound", `no secret ${params.name} in environment ${query.env}`);
        }
        await deps.onSecretChanged(query.env, params.name);
        return { deleted: true, name: params.name, env: query.env };
      },
    }),
  ];
}
