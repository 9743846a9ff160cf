// The manifest's `schedule` key: a cron string or `{ cron, timezone, overlap, missed }`, checked with croner at
// deploy time; and the tick arithmetic (next / previous fire time) the scheduler computes from it.
import { Cron } from "croner";
import { z } from "zod";

/** `@hourly`-style nicknames, or five fields (minute…weekday) or six (a leading seconds field). */
const CRON_SHAPE = /^@[a-z]+$|^\S+(\s+\S+){4,5}$/i;

/** A cron pattern that croner accepts and that fires at least once; one line saying why not otherwise. */
export function cronProblem(cron: string, timezone?: string): string | undefined {
  const expr = cron.trim();
  // croner also takes an ISO date as a one-off job; a schedule must repeat.
  if (!CRON_SHAPE.test(expr)) return "5 fields (minute hour day month weekday), 6 with seconds first, or @hourly";
  let next: Date | null;
  try {
    next = patternOf(expr, timezone).nextRun();
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).replace(/^Cron\w*:\s*/, "");
  }
  return next === null ? "this one matches no date, so it would never fire" : undefined;
}

/** Whether Intl knows the IANA time zone (what croner converts with). */
function knownTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function patternOf(cron: string, timezone: string | undefined): Cron {
  // A seventh (year) field is refused: few cron dialects have one and it is easy to add a field by mistake.
  return new Cron(cron.trim(), { paused: true, mode: "5-or-6-parts", ...(timezone && { timezone }) });
}

const scheduleObject = z.strictObject({
  /** Cron pattern; a sixth leading field gives seconds. */
  cron: z.string().min(1),
  /** IANA time zone the pattern is read in. @default UTC */
  timezone: z.string().min(1).optional(),
  /** What a tick does while the previous run is still going: `skip` it, or `allow` a second run. @default "skip" */
  overlap: z.enum(["skip", "allow"]).default("skip"),
  /** Ticks missed while no node was running: `skip` them, or `run-once` for all of them together. @default "skip" */
  missed: z.enum(["skip", "run-once"]).default("skip"),
});

/** The `schedule` key. The string shorthand is `{ cron }`, so every error names `schedule.cron` either way. */
export const scheduleSchema = z
  .preprocess((v) => (typeof v === "string" ? { cron: v } : v), scheduleObject)
  .superRefine((s, ctx) => {
    if (s.timezone !== undefined && !knownTimezone(s.timezone)) {
      const message = "an IANA time zone like UTC, Europe/Berlin or America/New_York";
      ctx.addIssue({ code: "custom", path: ["timezone"], message, params: { found: s.timezone } });
      return;
    }
    const problem = cronProblem(s.cron, s.timezone);
    if (problem) {
      const message = `a cron expression (${problem})`;
      ctx.addIssue({ code: "custom", path: ["cron"], message, params: { found: s.cron } });
    }
  });

export type Schedule = z.output<typeof scheduleSchema>;

/** Fire times of a schedule, in epoch ms. */
export interface ScheduleTimes {
  /** The first tick strictly after `after`; null when there is none. */
  next(after: number): number | null;
  /** The last tick at or before `at`; null when there is none. */
  latest(at: number): number | null;
}

/**
 * The tick arithmetic of a validated schedule. Also takes the bare string stored by builds before `schedule` had
 * its object form.
 */
export function scheduleTimes(schedule: Schedule | string): ScheduleTimes {
  const s = typeof schedule === "string" ? { cron: schedule, timezone: undefined } : schedule;
  const cron = patternOf(s.cron, s.timezone);
  return {
    next: (after) => cron.nextRun(new Date(after))?.getTime() ?? null,
    // croner's reference is exclusive below whole seconds: ask from just after `at` so a tick at `at` counts.
    latest: (at) => cron.previousRuns(1, new Date(at + 1))[0]?.getTime() ?? null,
  };
}

/** A stored schedule in its object form (manifests of older builds hold the bare cron string). */
export function normaliseSchedule(schedule: Schedule | string): Schedule {
  return typeof schedule === "string" ? { cron: schedule, overlap: "skip", missed: "skip" } : schedule;
}
