// The `env` a function receives: one object per granted binding and nothing else. Each object only forwards to
// the host, which checks the grant again — these are conveniences, the host is the boundary.
import type { BindingSpec } from "../protocol.ts";
import { drainBody } from "./body.ts";
import { TextDecoder, TextEncoder } from "./encoding.ts";
import { Request, type RequestInit, Response } from "./fetch-api.ts";

/** Calls the host on behalf of the running invocation; rejects with an Error whose message starts with a code. */
export type HostCall = (op: string, args: unknown[]) => Promise<unknown>;

type KvValue = string | ArrayBuffer | ArrayBufferView;
type KvType = "text" | "json" | "arrayBuffer";

/** A kv namespace, shaped like Workers KV: values are text, JSON or bytes; keys list in order. */
class KvNamespace {
  readonly #binding: string;
  readonly #call: HostCall;

  constructor(binding: string, call: HostCall) {
    this.#binding = binding;
    this.#call = call;
  }

  async get(key: string, options?: KvType | { type?: KvType }): Promise<unknown> {
    const type = (typeof options === "string" ? options : options?.type) ?? "text";
    if (type !== "text" && type !== "json" && type !== "arrayBuffer") {
      throw new TypeError(`kv get type must be "text", "json" or "arrayBuffer", got ${String(type)}`);
    }
    const bytes = (await this.#call("kv.get", [this.#binding, String(key)])) as Uint8Array | null;
    if (bytes === null) return null;
    if (type === "arrayBuffer") return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const text = new TextDecoder().decode(bytes);
    return type === "json" ? JSON.parse(text) : text;
  }

  async put(key: string, value: KvValue, options: { expirationTtl?: number; expiration?: number } = {}): Promise<void> {
    let bytes: Uint8Array;
    if (typeof value === "string") bytes = new TextEncoder().encode(value);
    else if (value instanceof ArrayBuffer) bytes = new Uint8Array(value.slice(0));
    else if (ArrayBuffer.isView(value))
      bytes = new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
    else throw new TypeError("kv put takes a string, an ArrayBuffer or a typed array");
    const ttl = options.expirationTtl ?? null;
    const at = options.expiration ?? null;
    await this.#call("kv.put", [this.#binding, String(key), bytes, ttl, at]);
  }

  async delete(key: string): Promise<void> {
    await this.#call("kv.delete", [this.#binding, String(key)]);
  }

  async list(options: { prefix?: string; cursor?: string; limit?: number } = {}): Promise<unknown> {
    const query = {
      prefix: options.prefix === undefined ? null : String(options.prefix),
      cursor: options.cursor === undefined ? null : String(options.cursor),
      limit: options.limit === undefined ? null : Number(options.limit),
    };
    return this.#call("kv.list", [this.#binding, query]);
  }

  get [Symbol.toStringTag]() {
    return "KvNamespace";
  }
}

/** Another function, called directly: `env.INVENTORY.fetch(request)` runs it and returns its Response. */
class Service {
  readonly #binding: string;
  readonly #call: HostCall;

  constructor(binding: string, call: HostCall) {
    this.#binding = binding;
    this.#call = call;
  }

  async fetch(input: string | Request, init?: RequestInit): Promise<Response> {
    // A bare path is fine: the callee only sees its own path, so the host part carries no meaning.
    const target =
      typeof input === "string" && input.startsWith("/") ? `http://${this.#binding.toLowerCase()}${input}` : input;
    const req = new Request(target as string, init);
    const raw = await drainBody(req);
    const res = (await this.#call("service", [
      this.#binding,
      { method: req.method, url: req.url, headers: [...req.headers], body: raw },
    ])) as { status: number; headers: [string, string][]; body: string | Uint8Array | null };
    const nullBody = res.status === 204 || res.status === 205 || res.status === 304;
    return new Response(nullBody ? null : res.body, { status: res.status, headers: res.headers });
  }

  get [Symbol.toStringTag]() {
    return "Service";
  }
}

/** A topic: `publish` appends a durable event and resolves with its id once it is committed. */
class Topic {
  readonly #binding: string;
  readonly #call: HostCall;

  constructor(binding: string, call: HostCall) {
    this.#binding = binding;
    this.#call = call;
  }

  async publish(message: unknown): Promise<{ id: string }> {
    const json = JSON.stringify(message);
    if (json === undefined) throw new TypeError("publish takes a JSON-serialisable message");
    return (await this.#call("publish", [this.#binding, json])) as { id: string };
  }

  get [Symbol.toStringTag]() {
    return "Topic";
  }
}

/** Builds the frozen `env` for a version's grants. Secrets are plain strings. */
export function makeEnv(spec: BindingSpec, call: HostCall): Readonly<Record<string, unknown>> {
  const env: Record<string, unknown> = {};
  for (const name of spec.kv) env[name] = Object.freeze(new KvNamespace(name, call));
  for (const name of spec.services) env[name] = Object.freeze(new Service(name, call));
  for (const name of spec.topics) env[name] = Object.freeze(new Topic(name, call));
  for (const [name, value] of Object.entries(spec.secrets)) env[name] = value;
  return Object.freeze(env);
}
