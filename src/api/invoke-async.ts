// Async invocation over the control API: the request is stored durably as a job on the function's async queue
// before the 202, under an activation id assigned now; an Idempotency-Key makes a repeat return the first one.
import { createHash } from "node:crypto";
import type { FastifyReply } from "fastify";
import { PaveError } from "../errors.ts";
import type { InvokeIds } from "../gateway/index.ts";
import { MAX_EVENT_BYTES } from "../runtime/index.ts";
import { ASYNC_QUEUE, type Store, type TokenRecord } from "../store/index.ts";
import type { ApiDeps } from "./routes.ts";

/** How long an Idempotency-Key is remembered (Stripe's and AWS Powertools' default). */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
const KEY = /^[\x21-\x7e]{1,255}$/;

export async function asyncInvoke(
  deps: ApiDeps,
  req: {
    env: string;
    name: string;
    body: unknown;
    ids: InvokeIds;
    key: string | undefined;
    token: TokenRecord;
    reply: FastifyReply;
  },
) {
  const { store } = deps;
  if (!(await store.getFunction(req.env, req.name))) {
    throw new PaveError("FunctionNotFound", `no function ${req.name} in environment ${req.env}`);
  }
  if (req.key !== undefined && !KEY.test(req.key)) {
    throw new PaveError("BadRequest", "Idempotency-Key must be 1 to 255 printable ASCII characters");
  }
  const payload = JSON.stringify(req.body ?? null);
  const bytes = Buffer.byteLength(payload);
  if (bytes > MAX_EVENT_BYTES) {
    throw new PaveError("PayloadTooLarge", `an async payload is at most ${MAX_EVENT_BYTES} bytes; this is ${bytes}`);
  }
  const now = Date.now();
  const out = await store.enqueueInvocation(
    {
      env: req.env,
      function: req.name,
      activationId: req.ids.activationId,
      payload,
      correlationId: req.ids.correlationId,
      traceId: req.ids.traceId,
      source: `api:${req.token.id}`,
      now,
    },
    req.key === undefined
      ? undefined
      : {
          key: req.key,
          // The body as the function would see it: the same JSON in another key order is another request.
          requestHash: createHash("sha256").update(payload).digest("hex"),
          expiresAt: now + IDEMPOTENCY_TTL_MS,
        },
  );
  if (!out.duplicate) deps.onPublished(req.env, ASYNC_QUEUE);
  req.reply.header("x-pave-activation-id", out.activationId);
  // A repeat answers 200: nothing new was accepted.
  req.reply.code(out.duplicate ? 200 : 202);
  return { activationId: out.activationId, status: "pending", duplicate: out.duplicate };
}

/** The 404 for an activation id not (yet) on the record: an async invocation still queued says so. */
export async function missingActivation(store: Store, id: string): Promise<PaveError> {
  const job = await store.getDelivery(id);
  if (job?.queue === ASYNC_QUEUE && job.state !== "dead") {
    const state = job.state === "inflight" ? "running" : "pending";
    return new PaveError(
      "ActivationNotFound",
      `activation ${id} is ${state}: the async invocation has not finished yet; ask again shortly`,
      { details: { state, attempts: job.attempts } },
    );
  }
  if (job?.queue === ASYNC_QUEUE) {
    return new PaveError("ActivationNotFound", `activation ${id} never ran: ${job.lastError ?? "it failed"}`, {
      details: { state: "dead", error: job.lastError },
    });
  }
  return new PaveError("ActivationNotFound", `no activation ${id}`);
}
