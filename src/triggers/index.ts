// The triggers domain: what starts invocations besides HTTP and direct invokes — the scheduler (cron `schedule:` in
// the manifest), and the consumers that deliver topic events to subscribers and run async invocations.
export { type BackoffPolicy, backoffMs, DEFAULT_BACKOFF } from "./backoff.ts";
export { type ConsumerOptions, Consumers } from "./consumer.ts";
export { Scheduler, type SchedulerClock, type SchedulerOptions, systemClock } from "./scheduler.ts";
