// The route table of docs/access.md — each route's least role and where it finds its environment — generated
// from the route declarations, like the OpenAPI document, so the docs cannot drift from what is enforced.
import type { RouteSpec } from "./route.ts";
import { scopeSource } from "./scope.ts";

/** Markdown rows: route, least role, environment checked against the token's scopes, and what it does. */
export function accessTable(routes: RouteSpec[]): string {
  const rows = routes.map((r) =>
    [`\`${r.method} /api/v1${r.path}\``, r.role, scopeSource(r), r.summary].map(cell).join(" | "),
  );
  return [
    "| route | least role | environment checked | what it does |",
    "|---|---|---|---|",
    ...rows.map((r) => `| ${r} |`),
  ].join("\n");
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}
