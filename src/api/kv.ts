// kv inspection over the control API: list keys, read, write and delete one entry of a namespace, so developers
// can see and fix what their functions stored. Values travel as raw bytes (application/octet-stream).
import { z } from "zod";
import { PaveError } from "../errors.ts";
import { KV_MAX_VALUE_BYTES, kvKeyProblem } from "../store/index.ts";
import { envQuery, lowerName } from "./params.ts";
import { type RouteSpec, route } from "./route.ts";
import type { ApiDeps } from "./routes.ts";

/** The longest TTL: ten years, so an expiry always fits in any store's integer column. */
const MAX_TTL_SECONDS = 10 * 365 * 24 * 3600;

const namespace = lowerName("a kv namespace name");
const keyParams = z.object({ namespace, key: z.string() });

const ttl = z
  .string()
  .regex(/^\d+$/, "ttl is whole seconds, e.g. ttl=3600 for an hour")
  .transform(Number)
  .pipe(
    z
      .number()
      .min(1, "ttl is at least 1 second")
      .max(MAX_TTL_SECONDS, `ttl is at most ${MAX_TTL_SECONDS} seconds (ten years)`),
  );

/** Validates a key with the limits the runtime binding uses too. */
function checkedKey(key: string): string {
  const problem = kvKeyProblem(key);
  if (problem) throw new PaveError("KvKeyInvalid", problem);
  return key;
}

/** The audit target of an entry: `namespace/key` (keys may hold `/`; details name both apart). */
const kvTarget = ({ params }: { params: Record<string, string> }) => `${params.namespace}/${params.key}`;

/** What an audit record says of an entry: its size and expiry, never its bytes. */
function entryFacts(entry: { value: Uint8Array; expiresAt: number | null } | undefined) {
  return entry ? { bytes: entry.value.byteLength, expiresAt: entry.expiresAt } : null;
}

function notFound(env: string, ns: string, key: string): PaveError {
  return new PaveError("KeyNotFound", `no key ${JSON.stringify(key)} in kv namespace ${ns} of environment ${env}`);
}

export function kvRoutes(deps: ApiDeps): RouteSpec[] {
  const { store } = deps;
  return [
    route({
      method: "GET",
      path: "/kv/:namespace/keys",
      summary: "List a namespace's live keys in byte order; `cursor` is the last key of the previous page",
      role: "developer",
      params: z.object({ namespace }),
      query: envQuery.extend({
        prefix: z.string().optional(),
        cursor: z.string().optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
      handler: async ({ params, query }) =>
        store.kvList(
          query.env,
          params.namespace,
          {
            limit: query.limit,
            ...(query.prefix !== undefined && { prefix: query.prefix }),
            ...(query.cursor !== undefined && { cursor: query.cursor }),
          },
          Date.now(),
        ),
    }),
    route({
      method: "GET",
      path: "/kv/:namespace/values/:key",
      summary: "Read one value as raw bytes; `x-pave-expires-at` (epoch ms) tells when it expires",
      role: "developer",
      params: keyParams,
      query: envQuery,
      produces: "application/octet-stream",
      handler: async ({ params, query, reply }) => {
        const key = checkedKey(params.key);
        const entry = await store.kvGet(query.env, params.namespace, key, Date.now());
        if (!entry) throw notFound(query.env, params.namespace, key);
        reply.header("content-type", "application/octet-stream");
        if (entry.expiresAt !== null) reply.header("x-pave-expires-at", String(entry.expiresAt));
        return Buffer.from(entry.value.buffer, entry.value.byteOffset, entry.value.byteLength);
      },
    }),
    route({
      method: "PUT",
      path: "/kv/:namespace/values/:key",
      summary: "Write one value from the raw request body (at most 1 MiB), optionally expiring after `ttl` seconds",
      role: "developer",
      params: keyParams,
      query: envQuery.extend({ ttl: ttl.optional() }),
      rawBody: {
        maxBytes: KV_MAX_VALUE_BYTES,
        tooLarge: "KvValueTooLarge",
        message: `a kv value is at most 1 MiB (${KV_MAX_VALUE_BYTES} bytes)`,
      },
      audit: { action: "kv.put", target: kvTarget },
      handler: async ({ params, query, body, audit }) => {
        const key = checkedKey(params.key);
        const value = body as Buffer;
        const expiresAt = query.ttl === undefined ? null : Date.now() + query.ttl * 1000;
        audit.details = { namespace: params.namespace, key };
        audit.before = entryFacts(await store.kvGet(query.env, params.namespace, key, Date.now()));
        await store.kvPut(query.env, params.namespace, key, { value, expiresAt });
        audit.after = entryFacts({ value, expiresAt });
        return { namespace: params.namespace, key, env: query.env, bytes: value.byteLength, expiresAt };
      },
    }),
    route({
      method: "DELETE",
      path: "/kv/:namespace/values/:key",
      summary: "Delete one entry",
      role: "developer",
      params: keyParams,
      query: envQuery,
      audit: { action: "kv.delete", target: kvTarget },
      handler: async ({ params, query, audit }) => {
        const key = checkedKey(params.key);
        // An expired entry not yet purged is already gone to every reader: deleting it is a 404 like any other.
        const live = await store.kvGet(query.env, params.namespace, key, Date.now());
        audit.details = { namespace: params.namespace, key };
        audit.before = entryFacts(live);
        await store.kvDelete(query.env, params.namespace, key);
        if (!live) throw notFound(query.env, params.namespace, key);
        return { deleted: true, namespace: params.namespace, key, env: query.env };
      },
    }),
  ];
}
