// The OpenAPI 3.1 document, generated from the same route declarations and zod schemas that validate requests,
// so the contract and the code cannot drift (a test compares it with the committed docs/openapi.json).
import { z } from "zod";
import { errorCodes } from "../errors.ts";
import type { RouteSpec } from "./route.ts";

export function openApiDocument(routes: RouteSpec[], version: string): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = `/api/v1${r.path.replace(/:(\w+)/g, "{$1}")}`;
    const parameters = [...objectParams(r.params, "path"), ...objectParams(r.query, "query")];
    const op: Record<string, unknown> = {
      summary: r.summary,
      "x-pave-role": r.role,
      parameters,
      responses: {
        [String(r.status ?? 200)]: r.produces
          ? { description: "OK", content: { [r.produces]: { schema: { type: "string", format: "binary" } } } }
          : { description: "OK" },
        default: {
          description: "Error",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        },
      },
    };
    // The action a mutating operation leaves in the audit log (docs/audit.md).
    if (r.audit && "action" in r.audit) op["x-pave-audit"] = r.audit.action;
    if (r.body) {
      op.requestBody = { required: true, content: { "application/json": { schema: jsonSchema(r.body, "input") } } };
    } else if (r.rawBody) {
      const schema = { type: "string", format: "binary", maxLength: r.rawBody.maxBytes };
      op.requestBody = { required: true, content: { "application/octet-stream": { schema } } };
    }
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[r.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.1.0",
    info: { title: "Pave control API", version },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message"],
              properties: {
                code: { type: "string", enum: Object.keys(errorCodes) },
                message: { type: "string" },
                details: { type: "object" },
              },
            },
          },
        },
      },
    },
  };
}

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
}

function objectParams(schema: z.ZodType | undefined, where: "path" | "query"): object[] {
  if (!schema) return [];
  const js = jsonSchema(schema, "input") as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === "path" || (js.required ?? []).includes(name),
    schema: s,
  }));
}
