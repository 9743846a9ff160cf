// The manifest's `schedule`: the string shorthand and the object form, checked with croner at deploy time, with
// errors that name `schedule.cron` / `schedule.timezone`; and the tick arithmetic the scheduler relies on.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ManifestIssue, parseManifest } from "../../src/deploy/manifest.ts";
import { scheduleTimes } from "../../src/deploy/schedule.ts";
import { PaveError } from "../../src/errors.ts";

const FILE = "cron/pave.yaml";

function issuesOf(text: string): { message: string; issues: ManifestIssue[] } {
  try {
    parseManifest(text, FILE);
  } catch (err) {
    assert.ok(err instanceof PaveError && err.code === "InvalidManifest", String(err));
    return { message: err.message, issues: err.details?.issues as ManifestIssue[] };
  }
  assert.fail("expected InvalidManifest");
}

describe("manifest schedule", () => {
  it("normalises the string shorthand to the object form with the default policies", () => {
    const m = parseManifest('name: a\nschedule: "*/5 * * * *"\n', FILE).manifest;
    assert.deepEqual(m.schedule, { cron: "*/5 * * * *", overlap: "skip", missed: "skip" });
    assert.equal(parseManifest("name: a\n", FILE).manifest.schedule, undefined);
  });

  it("takes the object form with seconds, a time zone and both policies", () => {
    const text = [
      "name: a",
      "schedule:",
      '  cron: "*/10 * * * * *"',
      "  timezone: Europe/Berlin",
      "  overlap: allow",
      "  missed: run-once",
      "",
    ].join("\n");
    assert.deepEqual(parseManifest(text, FILE).manifest.schedule, {
      cron: "*/10 * * * * *",
      timezone: "Europe/Berlin",
      overlap: "allow",
      missed: "run-once",
    });
    assert.ok(parseManifest('name: a\nschedule: "@hourly"\n', FILE).manifest.schedule);
  });

  it("names schedule.cron, its line and croner's reason for an invalid cron, in either form", () => {
    const short = issuesOf('name: a\nschedule: "61 * * * *"\n');
    assert.equal(
      short.message,
      `${FILE}:2: schedule.cron: expected a cron expression (Invalid value for minute: 61), found "61 * * * *"`,
    );
    const long = issuesOf('name: a\nschedule:\n  timezone: UTC\n  cron: "* * *"\n');
    assert.deepEqual(
      long.issues.map((i) => [i.key, i.line]),
      [["schedule.cron", 4]],
    );
    assert.match(long.message, /5 fields \(minute hour day month weekday\), 6 with seconds first, or @hourly/);
  });

  it("refuses what croner would take but is no repeating schedule: a date, a year field, a date that never comes", () => {
    for (const cron of ["2030-01-01T00:00:00", "0 0 0 1 1 * 2030", "0 0 31 2 *"]) {
      const { issues } = issuesOf(`name: a\nschedule: "${cron}"\n`);
      assert.equal(issues[0]?.key, "schedule.cron", cron);
    }
    assert.match(issuesOf('name: a\nschedule: "0 0 31 2 *"\n').message, /never fire/);
  });

  it("names schedule.timezone for a zone Intl does not know", () => {
    const { message, issues } = issuesOf('name: a\nschedule: { cron: "* * * * *", timezone: Mars/Olympus }\n');
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.key, "schedule.timezone");
    assert.match(
      message,
      /expected an IANA time zone like UTC, Europe\/Berlin or America\/New_York, found "Mars\/Olympus"/,
    );
  });

  it("lists the object's keys for an unknown one, and the policies' values for a bad one", () => {
    const unknown = issuesOf('name: a\nschedule: { cron: "* * * * *", tz: UTC }\n');
    assert.match(unknown.message, /schedule\.tz: unknown key; expected one of cron, timezone, overlap, missed/);
    const bad = issuesOf('name: a\nschedule: { cron: "* * * * *", overlap: queue }\n');
    assert.equal(bad.issues[0]?.key, "schedule.overlap");
  });
});

describe("schedule ticks", () => {
  const T = Date.UTC(2030, 0, 1, 12, 0, 0);

  it("next is strictly after, latest is at or before, seconds included", () => {
    const every = scheduleTimes({ cron: "* * * * * *", overlap: "skip", missed: "skip" });
    assert.equal(every.next(T), T + 1000);
    assert.equal(every.next(T + 500), T + 1000);
    assert.equal(every.latest(T), T);
    assert.equal(every.latest(T + 999), T);
  });

  it("reads the pattern in its time zone", () => {
    const nine = scheduleTimes({ cron: "0 9 * * *", timezone: "America/New_York", overlap: "skip", missed: "skip" });
    // 09:00 in New York in January is 14:00 UTC.
    assert.equal(nine.next(T), Date.UTC(2030, 0, 1, 14, 0, 0));
    assert.equal(scheduleTimes("0 9 * * *").next(T), Date.UTC(2030, 0, 2, 9, 0, 0));
  });
});
