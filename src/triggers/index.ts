// The triggers domain: what starts invocations besides HTTP and direct invokes. Today the scheduler (cron
// `schedule:` in the manifest); topic consumers come next.
export { Scheduler, type SchedulerClock, type SchedulerOptions, systemClock } from "./scheduler.ts";
