// The `pave.yaml` schema (one zod schema → runtime validation and the TypeScript type) and its parser,
// whose errors name the file, the line, the key, what was expected and what was found.
import { parseDocument } from "yaml";
import { z } from "zod";
import { PaveError } from "../errors.ts";
import { canaryPolicySchema } from "./canary-policy.ts";
import { scheduleSchema } from "./schedule.ts";

const name = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, "a name of a lowercase letter then up to 62 of a-z, 0-9, -");
const bindingName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an UPPER_SNAKE_CASE binding name");

/** `10s`, `500ms`, `2m` or a number of seconds → milliseconds. */
const duration = z
  .union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?(ms|s|m)$/, "a duration like 500ms, 10s or 2m")])
  .transform((v) => {
    if (typeof v === "number") return Math.round(v * 1000);
    const n = Number.parseFloat(v);
    return Math.round(v.endsWith("ms") ? n : v.endsWith("m") ? n * 60_000 : n * 1000);
  })
  .pipe(
    z
      .number()
      .int()
      .min(1, "at least 1ms")
      .max(15 * 60_000, "at most 15m"),
  );

/** `host`, `host:port`, `*.domain` (its subdomains), an IPv4 address or a bracketed IPv6 one, optionally with a port. */
const egressHost = z
  .string()
  .regex(
    /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/i,
    "a host like api.example.com, api.example.com:8443, *.example.com or [::1]:8080 (no scheme or path)",
  );

/**
 * Names no binding may take: the sandbox's globals. A binding is reached through `env`, but a name like `URL` would
 * shadow the global in code that destructures `env` and reads as one when the function is read.
 */
const SANDBOX_GLOBALS = new Set(["URL", "JSON", "NaN"]);

const route = z
  .string()
  .regex(/^\/[A-Za-z0-9._~!$&'()+,;=:@%/-]*\*?$/, "a path starting with / and optionally ending with *");

const fields = z.strictObject({
  name,
  entry: z.string().min(1).default("src/index.ts"),
  /** MB: the instance's heap limit and the billing size. */
  memory: z.number().int().min(16, "at least 16 (MB)").max(10_240, "at most 10240 (MB)").default(128),
  /** Wall clock per invocation, stored in ms. */
  timeout: duration.default(10_000),
  concurrency: z.number().int().min(1).max(1000).default(16),
  /** Instances of the live version kept warm (provisioned): never expired nor evicted, re-created when lost. */
  minInstances: z.number().int().min(0, "at least 0").max(100, "at most 100").default(0),
  tags: z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/, "a lowercase tag key"), z.string()).default({}),
  routes: z.array(route).default([]),
  /** A cron trigger (see schedule.ts); the string shorthand is normalised to the object form. */
  schedule: scheduleSchema.optional(),
  /**
   * How a `--canary` deploy is analysed and stepped (see canary-policy.ts). Absent means the defaults; it is not
   * defaulted here, so manifests without it keep their content hash.
   */
  canary: canaryPolicySchema.optional(),
  bindings: z
    .strictObject({
      kv: z
        .record(
          bindingName,
          z.strictObject({ namespace: name, access: z.enum(["read", "read-write"]).default("read-write") }),
        )
        .default({}),
      secrets: z.array(bindingName).default([]),
      egress: z.array(egressHost).default([]),
      services: z.record(bindingName, name).default({}),
      topics: z.record(bindingName, name).default({}),
    })
    .prefault({})
    .superRefine((b, ctx) => {
      // One `env` holds every kind of binding, so one name may be used once.
      const seen = new Map<string, string>();
      const kinds: [string, [string, PropertyKey][]][] = [
        ["kv", Object.keys(b.kv).map((n) => [n, n])],
        ["secrets", b.secrets.map((n, i) => [n, i])],
        ["services", Object.keys(b.services).map((n) => [n, n])],
        ["topics", Object.keys(b.topics).map((n) => [n, n])],
      ];
      for (const [kind, entries] of kinds) {
        for (const [n, key] of entries) {
          const path = [kind, key];
          const before = seen.get(n);
          if (SANDBOX_GLOBALS.has(n)) {
            ctx.addIssue({ code: "custom", path, message: `a binding name other than the global ${n}` });
          } else if (before === kind) {
            ctx.addIssue({ code: "custom", path, message: `each secret once (${n} is listed twice)` });
          } else if (before) {
            ctx.addIssue({
              code: "custom",
              path,
              message: `a unique binding name (${n} is already a ${before} binding)`,
            });
          }
          seen.set(n, before ?? kind);
        }
      }
    }),
});

export const manifestSchema = fields.superRefine((m, ctx) => {
  // More warm instances than invocations that may run at once could never all be used.
  const { minInstances: min, concurrency } = m;
  if (typeof min === "number" && typeof concurrency === "number" && min <= 100 && min > concurrency) {
    ctx.addIssue({ code: "custom", path: ["minInstances"], message: `at most concurrency (${concurrency})` });
  }
});

/** The manifest as written (before defaults). */
export type ManifestInput = z.input<typeof manifestSchema>;
/** The normalised manifest: defaults applied, timeout in ms. */
export type Manifest = z.output<typeof manifestSchema>;

export interface ManifestIssue {
  /** Dotted key path, e.g. `bindings.kv.CARTS.access`. */
  key: string;
  line?: number;
  message: string;
}

/** Validates an already-parsed manifest object (the API's check; the CLI parses YAML first). */
export function validateManifest(
  raw: unknown,
  file = "pave.yaml",
  lineOf?: (path: PropertyKey[]) => number | undefined,
): Manifest {
  const result = manifestSchema.safeParse(raw);
  if (result.success) return result.data;
  const issues: ManifestIssue[] = result.error.issues.map((issue) => {
    const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0] ?? ""] : issue.path;
    const key = path.map(String).join(".") || "(root)";
    const line = lineOf?.(path);
    return { key, message: describeIssue(issue, raw, path), ...(line !== undefined && { line }) };
  });
  const lines = issues.map((i) => `${file}${i.line !== undefined ? `:${i.line}` : ""}: ${i.key}: ${i.message}`);
  throw new PaveError("InvalidManifest", lines.join("\n"), { details: { file, issues } });
}

/** Parses `pave.yaml` text and validates it, with line numbers in every error. Returns the raw object too. */
export function parseManifest(text: string, file = "pave.yaml"): { raw: Record<string, unknown>; manifest: Manifest } {
  const doc = parseDocument(text, { prettyErrors: false });
  const lineCounter = (offset: number) => text.slice(0, offset).split("\n").length;
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    // `linePos` is only filled in by prettyErrors, which would also rewrite the message; count from `pos` instead.
    const line = e?.linePos?.[0]?.line ?? (e ? lineCounter(e.pos[0]) : undefined);
    throw new PaveError(
      "InvalidManifest",
      `${file}${line ? `:${line}` : ""}: not valid YAML: ${e?.message.split("\n")[0]}`,
      {
        details: { file, issues: [{ key: "(root)", message: "not valid YAML", ...(line && { line }) }] },
      },
    );
  }
  const lineOf = (path: PropertyKey[]) => {
    // Point at the deepest node that exists: an unknown key's own line, or the parent of a missing one.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth) as unknown[], true) as
        | { range?: [number, number, number] }
        | undefined;
      if (node?.range) return lineCounter(node.range[0]);
      if (depth > 0 && depth === path.length) {
        const parent = doc.getIn(path.slice(0, depth - 1) as unknown[], true) as
          | { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] }
          | undefined;
        const pair = parent?.items?.find((p) => p.key?.value === path[depth - 1]);
        if (pair?.key?.range) return lineCounter(pair.key.range[0]);
      }
    }
    return undefined;
  };
  const raw = (doc.toJS() ?? {}) as Record<string, unknown>;
  return { raw, manifest: validateManifest(raw, file, lineOf) };
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown, path: PropertyKey[]): string {
  if (issue.code === "unrecognized_keys") {
    return `unknown key; expected one of ${knownKeys(path.slice(0, -1)).join(", ")}`;
  }
  // A check on a normalised value (the `schedule` shorthand) says what it found, which `raw` may not hold at `path`.
  const own = issue.code === "custom" ? (issue.params as { found?: unknown } | undefined)?.found : undefined;
  const found = own ?? valueAt(raw, path);
  if (issue.code === "invalid_type") {
    const expected = issue.expected === "int" ? "a whole number" : issue.expected;
    return found === undefined
      ? `required; expected ${expected}`
      : `expected ${expected}, found ${describeValue(found)}`;
  }
  return `expected ${issue.message}, found ${describeValue(found)}`;
}

function knownKeys(path: PropertyKey[]): string[] {
  let schema: z.ZodType = manifestSchema;
  for (const key of path) {
    const shape = objectShape(schema);
    const next = shape?.[String(key)];
    if (!next) return [];
    schema = next;
  }
  return Object.keys(objectShape(schema) ?? {});
}

function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let s: z.ZodType = schema;
  // Unwrap defaults/optionals/prefaults, and preprocessing pipes, to reach the object underneath.
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodPrefault)
      s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe && s.in instanceof z.ZodTransform) s = s.out as z.ZodType;
    else break;
  }
  return s instanceof z.ZodObject ? (s.shape as Record<string, z.ZodType>) : undefined;
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return `${typeof v} ${String(v)}`;
}
