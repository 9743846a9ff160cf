// How a control-API route is declared: method, path, the role it needs, zod schemas for params, query and body.
// The same declaration drives validation, the TypeScript types of the handler and the OpenAPI document.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { ErrorCode } from "../errors.ts";
import type { AuditAction } from "../ops/index.ts";
import type { Role, TokenRecord } from "../store/index.ts";

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  token: TokenRecord;
  request: FastifyRequest;
  reply: FastifyReply;
  /** What the handler knows about the change, for its audit record: fill in before/after (never secret values). */
  audit: AuditNote;
}

export interface AuditNote {
  /** The environment acted on, when the query does not name it (an approval acts where its deployment waits). */
  env?: string;
  before?: unknown;
  after?: unknown;
  details?: Record<string, unknown>;
}

/**
 * How a mutating route is audited: the action, and what it acts on, read from the path params and body as sent so
 * that denied and failed requests name their target too. Or `exempt`, with the reason.
 */
export type RouteAudit =
  | {
      action: AuditAction;
      target: (sent: { params: Record<string, string>; body: unknown }) => string | null;
      /** The target is a function: its records answer `pave audit --function`. */
      targetIsFunction?: boolean;
      /** The environment the record is filed under, when it is not the query's `env` (an environment's own routes). */
      env?: (sent: { params: Record<string, string>; body: unknown }) => string | null;
    }
  | { exempt: string };

/** The parsed request, as a route's `scope` sees it. */
export interface ScopeInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

export interface RouteSpec<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Fastify path syntax: `/functions/:name`. */
  path: string;
  summary: string;
  /** The least role that may call this route. */
  role: Role;
  /**
   * The environment the request acts on, checked against the token's scopes before the handler runs.
   * `env` finds it (`*` for every environment; undefined when the thing asked for does not exist, so the handler
   * answers 404) and `from` says where, for docs/access.md; `none` marks a route tied to no environment, with why.
   * @default the `env` of the query or the body; every environment (`*`) when neither has one
   */
  scope?:
    | { env: (req: ScopeInput<z.output<P>, z.output<Q>, z.output<B>>) => Promise<string | undefined>; from: string }
    | { none: string };
  params?: P;
  query?: Q;
  body?: B;
  /**
   * The body is raw bytes of any content type, handed to the handler as a Buffer (empty when absent) instead of
   * parsed JSON; a body over `maxBytes` is refused with `tooLarge` and `message`.
   */
  rawBody?: { maxBytes: number; tooLarge: ErrorCode; message: string };
  /** The media type of a successful answer that is not JSON (the handler returns a Buffer). */
  produces?: string;
  /** Required for every method but GET (registerApi refuses a route without it; test/api/audit-routes checks). */
  audit?: RouteAudit;
  /** Status of a successful answer. @default 200 */
  status?: number;
  handler: (ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>>) => Promise<unknown>;
}

/** Declares a route with its types inferred from its schemas. */
export function route<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  spec: RouteSpec<P, Q, B>,
): RouteSpec {
  return spec as unknown as RouteSpec;
}
