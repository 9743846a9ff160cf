// Kysely's view of the tables: the column types both adapters read and write.
// Booleans are 0/1 integers and times are epoch milliseconds, so SQLite and PostgreSQL agree.
import type { Generated } from "kysely";
import type { ChunkRow } from "./activation-chunks.ts";

/** A chunk's columns about its lines, which 019 added (0 in chunks without lines). */
type LineColumns = "lines" | "levels" | "first_line_ts" | "last_line_ts";

export interface Database {
  /** `source` is the environment it was copied from (`from` is a keyword in SQL); columns after name: migration 012. */
  environments: {
    name: string;
    created_at: number;
    created_by: string | null;
    source: string | null;
    expires_at: number | null;
  };
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
  aliases: {
    env: string;
    function: string;
    name: string;
    /** The baseline: the split's first entry (all of it when `split` is null). */
    version: string;
    updated_at: number;
    /** JSON text of `SplitEntry[]` when the alias splits traffic; null for one version at 100%. */
    split: string | null;
    /** JSON text of `ShadowTarget`, or null. */
    shadow: string | null;
    updated_by: string | null;
  };
  alias_history: {
    id: string;
    env: string;
    function: string;
    alias: string;
    /** JSON text of `AliasTarget`; null when the alias was created. */
    from_target: string | null;
    /** JSON text of `AliasTarget`; null when the alias was removed. */
    to_target: string | null;
    reason: string;
    changed_by: string;
    changed_at: number;
  };
  /** Activations with their log lines, a chunk per batch and key (see activation-chunks.ts). */
  activation_chunks: Omit<ChunkRow, LineColumns> & { id: Generated<number> } & {
    [column in LineColumns]: Generated<number>;
  };
  /** The trace and correlation ids activations do not derive from their own id, with the chunk that holds each. */
  activation_links: {
    kind: string;
    key: string;
    activation_id: string;
    chunk_id: number;
  };
  /** Per-minute sums of activations; the histogram's `h0` … columns are listed in rollup-buckets.ts. */
  rollups: {
    env: string;
    function: string;
    version: string;
    minute: number;
    count: number;
    errors: number;
    cold_starts: number;
    throttles: number;
    duration_ms: number;
    billed_ms: number;
    gb_seconds: number;
  } & Record<`h${number}`, number>;
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
  schedules: {
    env: string;
    function: string;
    cron: string;
    /** "" for UTC. */
    timezone: string;
    overlap: string;
    missed: string;
    next_fire_at: number;
    last_tick: Generated<number>;
    last_fired_at: number | null;
    running_until: number | null;
    last_status: string | null;
    last_activation: string | null;
    updated_at: number;
  };
  /** One row per function with an analysed canary (migration 013); steps, policy and analysis are JSON text. */
  canaries: {
    env: string;
    function: string;
    baseline: string;
    canary: string;
    steps: string;
    step: number;
    policy: string;
    status: string;
    started_at: number;
    started_by: string;
    step_started_at: number;
    updated_at: number;
    revision: number;
    analysis: string | null;
    reason: string | null;
  };
  tokens: {
    id: string;
    hash: string;
    name: string;
    role: string;
    /** JSON text of the environment names, `["*"]` for all (migration 007). */
    envs: string;
    created_at: number;
    expires_at: number | null;
    revoked_at: number | null;
  };
  /** The chain head: one row (id 1) holding the last seq handed out and its record's hash. */
  audit_head: { id: number; seq: number; hash: string };
  /** before, after and details are JSON text; actor_id and actor_role are null for `system`. */
  audit: {
    seq: number;
    id: string;
    at: number;
    actor_id: string | null;
    actor_name: string;
    actor_role: string | null;
    action: string;
    env: string | null;
    function: string | null;
    target: string | null;
    outcome: string;
    ip: string | null;
    user_agent: string | null;
    before: string | null;
    after: string | null;
    details: string | null;
    prev_hash: string;
    hash: string;
  };
  subscriptions: {
    env: string;
    function: string;
    topic: string;
    batch_size: number;
    max_concurrency: number;
    max_retries: number;
    /** JSON text of the filter; "" for none. */
    filter: string;
    updated_at: number;
  };
  /** One per (event, subscriber); `queue` is the topic or "$async" (migration 011). */
  deliveries: {
    id: string;
    env: string;
    function: string;
    queue: string;
    event_id: string;
    state: string;
    attempts: number;
    visible_at: number;
    claim: string | null;
    last_error: string | null;
    created_at: number;
    updated_at: number;
  };
  delivery_attempts: {
    delivery_id: string;
    attempt: number;
    activation_id: string;
    outcome: string;
    error: string | null;
    at: number;
  };
  paused_functions: { env: string; function: string; paused_at: number; paused_by: string };
  idempotency_keys: {
    env: string;
    function: string;
    key: string;
    request_hash: string;
    activation_id: string;
    expires_at: number;
  };
  /** Every version of each environment's policy file; the highest version is in force. */
  policies: { env: string; version: number; yaml: string; created_by: string; created_at: number };
  /** requested_by, decided_by, manifest, options and rules are JSON text. */
  pending_deployments: {
    id: string;
    env: string;
    function: string;
    requested_by: string;
    manifest: string;
    bundle: string;
    options: string;
    rules: string;
    required_role: string;
    created_at: number;
    status: string;
    decided_by: string | null;
    decided_at: number | null;
    reason: string | null;
  };
  budget_throttles: {
    env: string;
    function: string;
    rule: string;
    budget_usd: number;
    cost_usd: number;
    since: number;
  };
  /** Migration 015: the cluster change feed (see change-feed.ts). `payload` is JSON text of a `Change`. */
  changes: { seq: Generated<number>; at: number; node: string; payload: string };
}
