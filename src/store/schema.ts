// Kysely's view of the tables: the column types both adapters read and write.
// Booleans are 0/1 integers and times are epoch milliseconds, so SQLite and PostgreSQL agree.
import type { Generated } from "kysely";

export interface Database {
  environments: { name: string; created_at: number };
  functions: { env: string; name: string; created_at: number; updated_at: number; next_seq: number };
  versions: {
    env: string;
    function: string;
    id: string;
    seq: number;
    manifest: string;
    bundle: string;
    bundle_bytes: number;
    created_at: number;
    created_by: string;
  };
  aliases: { env: string; function: string; name: string; version: string; updated_at: number };
  activations: {
    id: string;
    env: string;
    function: string;
    version: string;
    trigger: string;
    started_at: number;
    duration_ms: number;
    billed_ms: number;
    memory_mb: number;
    status: string;
    error_code: string | null;
    error_message: string | null;
    http_status: number | null;
    cold: number;
    trace_id: string;
    correlation_id: string;
    logs_dropped: number;
    cpu_ms: number | null;
    gb_seconds: number;
    /** JSON text of `EgressCall[]`. */
    egress: string;
  };
  logs: {
    id: Generated<number>;
    activation_id: string;
    env: string;
    function: string;
    version: string;
    ts: number;
    level: string;
    message: string;
  };
  spans: {
    trace_id: string;
    span_id: string;
    parent_span_id: string | null;
    name: string;
    kind: string;
    started_at: number;
    duration_ms: number;
    status: string;
    status_message: string | null;
    /** JSON text of the attributes object. */
    attributes: string;
    activation_id: string;
    env: string;
    function: string;
  };
  /** Values are bytes (blob / bytea); drivers hand back Buffers, which the store copies into plain Uint8Arrays. */
  kv: {
    env: string;
    namespace: string;
    key: string;
    value: Uint8Array;
    expires_at: number | null;
    updated_at: number;
  };
  secrets: {
    env: string;
    name: string;
    key_id: string;
    iv: Uint8Array;
    ciphertext: Uint8Array;
    tag: Uint8Array;
    created_at: number;
    updated_at: number;
  };
  topics: { env: string; name: string; created_at: number };
  events: {
    id: string;
    env: string;
    topic: string;
    payload: string;
    correlation_id: string;
    trace_id: string;
    /** "" when the publisher had no span (added by migration 004). */
    span_id: string;
    source: string;
    published_at: number;
  };
  tokens: {
    id: string;
    hash: string;
    name: string;
    role: string;
    created_at: number;
    expires_at: number | null;
    revoked_at: number | null;
  };
}
