// A subscription's `filter`, matched against an event's body when it is published: top-level fields that must
// equal a value, or one of a list of values. Events that do not match are never owed to that subscriber.

/** True when every field of `filter` matches the event's JSON body (an absent filter matches everything). */
export function matchesFilter(filter: Record<string, unknown> | null, payload: string): boolean {
  if (filter === null) return true;
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return false;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return false;
  for (const [field, wanted] of Object.entries(filter)) {
    const value = (body as Record<string, unknown>)[field];
    const accepted = Array.isArray(wanted) ? wanted : [wanted];
    if (!accepted.some((a) => sameJson(a, value))) return false;
  }
  return true;
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return typeof a === "object" && a !== null && JSON.stringify(a) === JSON.stringify(b);
}
