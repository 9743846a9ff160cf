// The `pave.yaml` schema (one zod schema → runtime validation and the TypeScript type) and its parser,
// whose errors name the file, the line, the key, what was expected and what was found.
import { z } from "zod";
import { PaveError } from "../errors.ts";
import { describeIssues, parseYamlWithLines, type YamlIssue } from "../yaml-lines.ts";
import { canaryPolicySchema } from "./canary-policy.ts";
import { expiresSchema } from "./expires.ts";
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

/** A topic subscription: batches of the topic's events go to the function's queue handler. */
const subscription = z.strictObject({
  topic: name,
  /** Most events per invocation. */
  batchSize: z.number().int().min(1, "at least 1").max(1000, "at most 1000").default(10),
  /** Batches of this subscription in flight at once (on each node); never above the function's concurrency. */
  maxConcurrency: z.number().int().min(1, "at least 1").max(1000, "at most 1000").default(2),
  /** Retries after the first delivery; an event that fails them all goes to the dead-letter list. */
  maxRetries: z.number().int().min(0, "at least 0").max(100, "at most 100").default(3),
  /** Top-level fields of the event's body that must match: a value, or a list of accepted values. */
  filter: z.record(z.string().min(1), z.unknown()).optional(),
});

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
  /** A short-lived function: torn down (and audited) this long after its deploy, or at this date (see expires.ts). */
  expires: expiresSchema.optional(),
  // Optional rather than defaulted to []: a manifest without it keeps the version id it always had.
  subscriptions: z
    .array(subscription)
    .optional()
    .superRefine((subs, ctx) => {
      const seen = new Set<string>();
      subs?.forEach((s, i) => {
        if (seen.has(s.topic)) {
          ctx.addIssue({ code: "custom", path: [i, "topic"], message: `each topic once (${s.topic} is listed twice)` });
        }
        seen.add(s.topic);
      });
    }),
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

/** One problem of a manifest: dotted key path (e.g. `bindings.kv.CARTS.access`), line and what is wrong. */
export type ManifestIssue = YamlIssue;

/** Validates an already-parsed manifest object (the API's check; the CLI parses YAML first). */
export function validateManifest(
  raw: unknown,
  file = "pave.yaml",
  lineOf?: (path: PropertyKey[]) => number | undefined,
): Manifest {
  const result = manifestSchema.safeParse(raw);
  if (result.success) return result.data;
  const issues: ManifestIssue[] = describeIssues(manifestSchema, result.error.issues, raw, lineOf);
  const lines = issues.map((i) => `${file}${i.line !== undefined ? `:${i.line}` : ""}: ${i.key}: ${i.message}`);
  throw new PaveError("InvalidManifest", lines.join("\n"), { details: { file, issues } });
}

/** Parses `pave.yaml` text and validates it, with line numbers in every error. Returns the raw object too. */
export function parseManifest(text: string, file = "pave.yaml"): { raw: Record<string, unknown>; manifest: Manifest } {
  const { raw, lineOf } = parseYamlWithLines(text, file, "InvalidManifest");
  return { raw: raw as Record<string, unknown>, manifest: validateManifest(raw, file, lineOf) };
}
