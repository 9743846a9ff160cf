// A topic batch as a Lambda-style handler sees it: the event SQS sends to Lambda, so handlers written for AWS run
// unmodified; and their `batchItemFailures` answer (partial batch responses) read back into a QueueVerdict.
import { createHash } from "node:crypto";
import type { QueueMessageData, QueueVerdict } from "./protocol.ts";

/** The SQS event of a batch; messageId is the event id, receiptHandle names this delivery attempt. */
export function sqsEvent(env: string, topic: string, messages: QueueMessageData[], activationId: string): object {
  return {
    Records: messages.map((m) => ({
      messageId: m.id,
      receiptHandle: `${activationId}/${m.id}`,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.attempts),
        SentTimestamp: String(m.timestamp),
        SenderId: "pave",
        ApproximateFirstReceiveTimestamp: String(m.timestamp),
      },
      messageAttributes: {},
      md5OfBody: createHash("md5").update(m.body).digest("hex"),
      eventSource: "aws:sqs",
      // The same placeholder account and region as the context's invokedFunctionArn.
      eventSourceARN: `arn:pave:sqs:local:000000000000:${env}-${topic}`,
      awsRegion: "local",
    })),
  };
}

/**
 * Lambda's partial batch response: the messages named in `batchItemFailures` are retried, the rest acked. Anything
 * else returned (nothing, a value without it) acks the whole batch, as SQS does when ReportBatchItemFailures is on.
 */
export function sqsVerdict(value: unknown, messages: QueueMessageData[]): QueueVerdict | string {
  const failures = (value as { batchItemFailures?: unknown } | null)?.batchItemFailures;
  if (failures === undefined || failures === null) return { retry: [] };
  if (!Array.isArray(failures)) return "batchItemFailures must be a list of { itemIdentifier }";
  const known = new Set(messages.map((m) => m.id));
  const retry: QueueVerdict["retry"] = [];
  for (const f of failures as unknown[]) {
    const id = (f as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    // AWS fails the whole batch on an identifier it does not know; so do we, saying which.
    if (typeof id !== "string" || !known.has(id)) {
      return `batchItemFailures names ${JSON.stringify(id)}, which is not a messageId of this batch`;
    }
    retry.push({ id });
  }
  return { retry };
}
