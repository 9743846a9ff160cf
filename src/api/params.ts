// Schemas several route files share: the `?env=` every route takes and the lowercase resource names of pave.yaml
// (functions, kv namespaces, topics).
import { z } from "zod";

/** `?env=`, defaulting to the one environment a fresh server has. */
export const envQuery = z.object({ env: z.string().min(1).default("prod") });

/**
 * A lowercase name as `pave.yaml` spells them: a letter, then up to 62 of a-z, 0-9 and `-`.
 * @example lowerName("a kv namespace name").parse("carts")
 */
export function lowerName(what: string) {
  return z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, `${what}: a lowercase letter, then up to 62 of a-z, 0-9, -`);
}
