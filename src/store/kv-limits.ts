// The limits of a kv entry, shared by the control API and the runtime's kv binding so both refuse the same inputs.
// Keys are UTF-8 text compared byte-wise; values are bytes.

/** The longest key, in bytes of UTF-8. */
export const KV_MAX_KEY_BYTES = 512;

/** The largest value, in bytes. @default 1 MiB */
export const KV_MAX_VALUE_BYTES = 1024 * 1024;

/**
 * Why `key` cannot be a kv key, or undefined when it can: it must be 1 to 512 bytes of well-formed UTF-8 text
 * without NUL (PostgreSQL text cannot hold NUL, and a lone surrogate has no UTF-8 form to sort by).
 * @example kvKeyProblem("") // "a kv key must not be empty"
 */
export function kvKeyProblem(key: string): string | undefined {
  if (key.length === 0) return "a kv key must not be empty";
  const bytes = Buffer.byteLength(key, "utf8");
  if (bytes > KV_MAX_KEY_BYTES) return `a kv key is at most ${KV_MAX_KEY_BYTES} bytes of UTF-8; this one has ${bytes}`;
  if (/\p{Cs}/u.test(key)) return "a kv key must be well-formed Unicode text (it has a lone surrogate)";
  if (key.includes("\0")) return "a kv key must not contain NUL characters";
  return undefined;
}
