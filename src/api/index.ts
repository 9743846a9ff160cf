// The control API domain: registers the declared routes on fastify under /api/v1 with bearer auth, zod
// validation and one error shape, and serves the OpenAPI document generated from them.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { Authenticator } from "../auth/index.ts";
import { PaveError, toErrorBody } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Role } from "../store/index.ts";
import { AuditTrail } from "./audit-trail.ts";
import { openApiDocument } from "./openapi.ts";
import type { AuditNote, RouteSpec } from "./route.ts";
import { type ApiDeps, apiRoutes } from "./routes.ts";

export { type ApiDeps, apiRoutes, openApiDocument };

/** The OpenAPI document of this build (route declarations only; no server needed). */
export function currentOpenApi(version: string): object {
  return openApiDocument(apiRoutes({} as ApiDeps), version);
}

const ROLE_RANK: Record<Role, number> = { viewer: 0, developer: 1, operator: 2, admin: 3 };

export function registerApi(
  app: FastifyInstance,
  deps: ApiDeps,
  auth: Authenticator,
  logger: Logger,
  version: string,
): void {
  const routes = apiRoutes(deps);
  for (const spec of routes) {
    if (spec.method !== "GET" && !spec.audit) throw new Error(`${spec.method} ${spec.path} declares no audit`);
  }
  const trail = new AuditTrail(deps.audit, logger);
  const doc = openApiDocument(routes, version);
  app.get("/api/v1/openapi.json", async () => doc);
  // Prometheus scrapes with a viewer token (`authorization: { credentials_file: … }` in its scrape config).
  app.get("/metrics", async (request, reply) => {
    await auth.verify(request.headers.authorization);
    reply.header("content-type", deps.metrics.contentType);
    return deps.metrics.render();
  });

  const handlerOf =
    (spec: RouteSpec) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
      const token = await auth.verify(request.headers.authorization);
      const audit: AuditNote = {};
      let result: unknown;
      try {
        if (ROLE_RANK[token.role] < ROLE_RANK[spec.role]) {
          throw new PaveError("Forbidden", `this needs the ${spec.role} role; the token has ${token.role}`);
        }
        const params = parse(spec.params, request.params, "path");
        const query = parse(spec.query, request.query, "query");
        const body = spec.rawBody
          ? ((request.body as Buffer | undefined) ?? Buffer.alloc(0))
          : parse(spec.body, request.body, "body");
        result = await spec.handler({ params, query, body: body as never, token, request, reply, audit });
      } catch (err) {
        await trail.refused(spec, request, token, audit, err);
        throw err;
      }
      await trail.succeeded(spec, request, token, audit);
      if (reply.sent) return reply;
      reply.code(reply.statusCode === 200 ? (spec.status ?? 200) : reply.statusCode);
      return result;
    };

  for (const spec of routes.filter((r) => !r.rawBody)) {
    app.route({ method: spec.method, url: `/api/v1${spec.path}`, handler: handlerOf(spec) });
  }
  // Routes whose body is bytes (kv values) live in a context of their own: any content type arrives as a Buffer
  // there, while every other route keeps fastify's JSON parsing.
  void app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
    for (const spec of routes.filter((r) => r.rawBody)) {
      const limits = spec.rawBody as NonNullable<RouteSpec["rawBody"]>;
      raw.route({
        method: spec.method,
        url: `/api/v1${spec.path}`,
        bodyLimit: limits.maxBytes,
        config: { tooLarge: limits },
        handler: handlerOf(spec),
      });
    }
  });

  app.setNotFoundHandler((request, reply) => {
    const { status, body } = toErrorBody(
      new PaveError("RouteNotFound", `nothing at ${request.method} ${request.url.split("?")[0]}`),
    );
    void reply.code(status).send(body);
  });

  app.setErrorHandler((err, request, reply) => {
    const error = fromFastify(err, request);
    if (!(error instanceof PaveError) || error.code === "Internal")
      logger.error({ err, url: request.url }, "control API request failed");
    const { status, body } = toErrorBody(error);
    void reply.code(status).send(body);
  });
}

function parse(schema: z.ZodType | undefined, value: unknown, where: string): never {
  if (!schema) return value as never;
  const result = schema.safeParse(value ?? (where === "body" ? undefined : {}));
  if (result.success) return result.data as never;
  const issues = result.error.issues.map((i) => `${[where, ...i.path].join(".")}: ${i.message}`);
  throw new PaveError("BadRequest", issues.join("; "), {
    details: { issues: result.error.issues.map((i) => ({ path: [where, ...i.path].join("."), message: i.message })) },
  });
}

/** Fastify's own errors (bad JSON, body too large, …) mapped to our codes; a raw-body route names its own limit. */
function fromFastify(err: unknown, request: FastifyRequest): unknown {
  if (err instanceof PaveError) return err;
  const e = err as { code?: string; statusCode?: number; message?: string };
  if (e.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    const own = (request.routeOptions.config as { tooLarge?: RouteSpec["rawBody"] }).tooLarge;
    if (own) return new PaveError(own.tooLarge, own.message);
    return new PaveError("PayloadTooLarge", e.message ?? "request body too large");
  }
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
    return new PaveError(e.statusCode === 413 ? "PayloadTooLarge" : "BadRequest", e.message ?? "bad request");
  }
  return err;
}
