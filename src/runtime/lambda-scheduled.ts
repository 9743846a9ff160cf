// A schedule tick as a Lambda-style handler sees it: the event EventBridge (CloudWatch Events) sends for a
// scheduled rule, so handlers written for AWS run unmodified.

/** The tick: its activation id (the event's id), the function it fires and the time it was due. */
export interface ScheduledTick {
  id: string;
  env: string;
  function: string;
  scheduledTime: number;
}

/** EventBridge's "Scheduled Event": `time` is the due time in ISO form without milliseconds, as AWS sends it. */
export function eventBridgeScheduledEvent(tick: ScheduledTick): object {
  return {
    version: "0",
    id: tick.id,
    "detail-type": "Scheduled Event",
    source: "aws.events",
    // The same placeholder account and region as the context's invokedFunctionArn.
    account: "000000000000",
    time: new Date(tick.scheduledTime).toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: "local",
    resources: [`arn:pave:events:local:000000000000:rule/${tick.env}/${tick.function}`],
    detail: {},
  };
}
