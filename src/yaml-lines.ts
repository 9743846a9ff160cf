// YAML people write by hand (`pave.yaml`, policy files), read with line numbers: a syntax error becomes one PaveError
// naming file and line, and a schema's issues become key, line, expected and found.
import { parseDocument } from "yaml";
import { z } from "zod";
import { type ErrorCode, PaveError } from "./errors.ts";

export interface YamlText {
  /** The document as plain JS values ({} for an empty file). */
  raw: unknown;
  /** The line of the deepest node of `path` that exists: an unknown key's own line, or the parent of a missing one. */
  lineOf: (path: PropertyKey[]) => number | undefined;
}

/** Parses YAML text; throws `code` (with `details: { file, issues }`) naming the line when it is not valid YAML. */
export function parseYamlWithLines(text: string, file: string, code: ErrorCode): YamlText {
  const doc = parseDocument(text, { prettyErrors: false });
  const lineCounter = (offset: number) => text.slice(0, offset).split("\n").length;
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    // `linePos` is only filled in by prettyErrors, which would also rewrite the message; count from `pos` instead.
    const line = e?.linePos?.[0]?.line ?? (e ? lineCounter(e.pos[0]) : undefined);
    throw new PaveError(code, `${file}${line ? `:${line}` : ""}: not valid YAML: ${e?.message.split("\n")[0]}`, {
      details: { file, issues: [{ key: "(root)", message: "not valid YAML", ...(line && { line }) }] },
    });
  }
  const lineOf = (path: PropertyKey[]) => {
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
  return { raw: doc.toJS() ?? {}, lineOf };
}

/** One problem of a hand-written file: the dotted key path, its line when known, and expected-versus-found. */
export interface YamlIssue {
  key: string;
  line?: number;
  message: string;
}

/** Turns a schema's issues into lines people can act on: the key, its line, what was expected and what was found. */
export function describeIssues(
  root: z.ZodType,
  issues: readonly z.core.$ZodIssue[],
  raw: unknown,
  lineOf?: (path: PropertyKey[]) => number | undefined,
): YamlIssue[] {
  return issues.map((issue) => {
    const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0] ?? ""] : issue.path;
    const key = path.map(String).join(".") || "(root)";
    const line = lineOf?.(path);
    return { key, message: describeIssue(root, issue, raw, path), ...(line !== undefined && { line }) };
  });
}

function describeIssue(root: z.ZodType, issue: z.core.$ZodIssue, raw: unknown, path: PropertyKey[]): string {
  if (issue.code === "unrecognized_keys") {
    return `unknown key; expected one of ${knownKeys(root, path.slice(0, -1)).join(", ")}`;
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

function knownKeys(root: z.ZodType, path: PropertyKey[]): string[] {
  let schema: z.ZodType = root;
  for (const key of path) {
    const inner = unwrap(schema);
    // A list's items are reached by index (`rules.0.when`).
    const next =
      inner instanceof z.ZodArray && typeof key === "number"
        ? (inner.element as z.ZodType)
        : objectShape(inner)?.[String(key)];
    if (!next) return [];
    schema = next;
  }
  return Object.keys(objectShape(schema) ?? {});
}

function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const s = unwrap(schema);
  return s instanceof z.ZodObject ? (s.shape as Record<string, z.ZodType>) : undefined;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  // Unwrap defaults/optionals/prefaults, and preprocessing pipes, to reach the object underneath.
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodPrefault)
      s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe && s.in instanceof z.ZodTransform) s = s.out as z.ZodType;
    else break;
  }
  return s;
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
