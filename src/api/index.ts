// The control API domain: registers the declared routes on fastify under /api/v1 with bearer auth, the role and
// environment scope each route declares, zod validation and one error shape, and serves the OpenAPI document.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { ALL_ENVS, requireRole, requireScope } from "../auth/index.ts";
import { PaveError, toErrorBody } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { notReadyIfUnreachable } from "../store/index.ts";
import { AuditTrail } from "./audit-trail.ts";
import { openApiDocument } from "./openapi.ts";
import type { AuditNote, RouteSpec } from "./route.ts";
import { accessTable } from "./route-table.ts";
import { type ApiDeps, apiRoutes } from "./routes.ts";
import { requestEnv } from "./scope.ts";

export { type ApiDeps, apiRoutes, openApiDocument, type RouteSpec };

/** The OpenAPI document of this build (route declarations only; no server needed). */
export function currentOpenApi(version: string): object {
  return openApiDocument(apiRoutes({} as ApiDeps), version);
}

/** The route table of docs/access.md (route declarations only; no server needed). */
export function currentAccessTable(): string {
  return accessTable(apiRoutes({} as ApiDeps));
}

export function registerApi(app: FastifyInstance, deps: ApiDeps, logger: Logger, version: string): void {
  const { auth } = deps;
  const routes = apiRoutes(deps);
  for (const spec of routes) {
    if (spec.method !== "GET" && !spec.audit) throw new Error(`${spec.method} ${spec.path} declares no audit`);
  }
  const trail = new AuditTrail(deps.audit, logger);
  const doc = openApiDocument(routes, version);
  // Public: the contract is no secret, and clients read it before they hold a token.
  app.get("/api/v1/openapi.json", async () => doc);
  // Prometheus scrapes with a viewer token (`authorization: { credentials_file: … }` in its scrape config). The
  // metrics of every environment are in one answer, so the token must be scoped to all of them.
  app.get("/metrics", async (request, reply) => {
    const token = await auth.verify(request.headers.authorization);
    requireRole(token, "viewer", "GET /metrics");
    requireScope(token, ALL_ENVS, "GET /metrics");
    reply.header("content-type", deps.metrics.contentType);
    return deps.metrics.render();
  });

  const handlerOf =
    (spec: RouteSpec) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
      const token = await auth.verify(request.headers.authorization);
      const what = `${spec.method} /api/v1${spec.path}`;
      const audit: AuditNote = {};
      let result: unknown;
      try {
        // The role first, before the input is even read: a caller without it learns nothing about valid input.
        requireRole(token, spec.role, what);
        const params = parse(spec.params, request.params, "path");
        const query = parse(spec.query ?? NO_QUERY, request.query, "query");
        const body = spec.rawBody
          ? ((request.body as Buffer | undefined) ?? Buffer.alloc(0))
          : parse(spec.body, request.body, "body");
        const env = await requestEnv(spec, { params, query, body });
        if (env !== undefined) requireScope(token, env, what);
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
    else if (!(err instanceof PaveError) && error.code === "NotReady")
      logger.warn({ err, url: request.url }, "control API request failed: the store is unreachable");
    const { status, body } = toErrorBody(error);
    void reply.code(status).send(body);
  });
}

/**
 * The query of a route that declares none: empty. An unknown parameter is refused, never ignored — and never read as
 * the request's environment (scope.ts), which let a token scoped to one environment name it on a route spanning all.
 */
const NO_QUERY = z.object({}).strict();

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
  // The database is away (restart, failover, partition): say so, as /readyz does, so clients and balancers retry.
  return notReadyIfUnreachable(err);
}
