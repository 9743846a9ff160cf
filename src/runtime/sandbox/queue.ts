// A web-standard `queue(batch, env, ctx)` handler's batch, shaped like Cloudflare Queues' MessageBatch: per-message
// ack() / retry(), ackAll() / retryAll(). What the handler decided leaves the isolate as a QueueVerdict.
import type { QueueInvocation, QueueVerdict, SandboxResult } from "../protocol.ts";

/** The last call on a message wins per Cloudflare's rules: an explicit ack or retry beats the batch-wide ones. */
type Decision = { kind: "ack" } | { kind: "retry"; delaySeconds?: number };

export interface QueueHandlers {
  queue?: unknown;
}

function delayOf(options: unknown): number | undefined {
  const d = (options as { delaySeconds?: unknown } | undefined)?.delaySeconds;
  return typeof d === "number" && Number.isFinite(d) && d >= 0 ? d : undefined;
}

export async function runQueue(
  mod: QueueHandlers,
  env: object,
  ctx: object,
  inv: QueueInvocation,
): Promise<SandboxResult> {
  if (typeof mod.queue !== "function") {
    return {
      kind: "error",
      code: "InvalidHandler",
      message: "the function's default export has no queue(batch, env, ctx), which a topic subscription needs",
    };
  }
  const own = new Map<string, Decision>();
  let all: Decision | undefined;
  const messages = inv.messages.map((m) =>
    Object.freeze({
      id: m.id,
      timestamp: new Date(m.timestamp),
      body: JSON.parse(m.body) as unknown,
      attempts: m.attempts,
      ack: () => void own.set(m.id, { kind: "ack" }),
      retry: (options?: unknown) => {
        const delaySeconds = delayOf(options);
        own.set(m.id, delaySeconds === undefined ? { kind: "retry" } : { kind: "retry", delaySeconds });
      },
    }),
  );
  const batch = Object.freeze({
    queue: inv.queue,
    messages: Object.freeze(messages),
    ackAll: () => {
      all = { kind: "ack" };
    },
    retryAll: (options?: unknown) => {
      const delaySeconds = delayOf(options);
      all = delaySeconds === undefined ? { kind: "retry" } : { kind: "retry", delaySeconds };
    },
  });
  // A handler that throws leaves every message to be retried (as on Cloudflare): the error is the activation's.
  await mod.queue(batch, env, ctx);
  const verdict: QueueVerdict = { retry: [] };
  for (const m of inv.messages) {
    const d = own.get(m.id) ?? all ?? { kind: "ack" };
    if (d.kind === "retry") {
      verdict.retry.push(d.delaySeconds === undefined ? { id: m.id } : { id: m.id, delaySeconds: d.delaySeconds });
    }
  }
  return { kind: "value", json: JSON.stringify(verdict) };
}
