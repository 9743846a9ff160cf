// The size limits of kv entries, shared by the control API and the runtime's kv binding.
// Keys like Workers KV's; values smaller than its 25 MiB because the embedded store keeps them inline.

/** Longest kv key, in bytes of UTF-8. */
export const KV_MAX_KEY_BYTES = 512;
/** Largest kv value, in bytes. */
export const KV_MAX_VALUE_BYTES = 1024 * 1024;
