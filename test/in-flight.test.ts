import assert from "node:assert/strict";
import { test } from "node:test";
import { InFlight } from "../src/in-flight.ts";

test("InFlight: idle() waits for every tracked promise, however it settles, and for work tracked meanwhile", async () => {
  const work = new InFlight();
  await work.idle(); // nothing in flight: at once

  let finishA!: () => void;
  let failB!: (err: Error) => void;
  work.track(new Promise<void>((resolve) => (finishA = resolve)));
  work.track(new Promise<void>((_, reject) => (failB = reject)).catch(() => undefined));
  assert.equal(work.size, 2);

  let idle = false;
  const waiting = work.idle().then(() => (idle = true));
  finishA();
  await new Promise((r) => setImmediate(r));
  assert.equal(idle, false, "one still in flight");

  let finishC!: () => void;
  work.track(new Promise<void>((resolve) => (finishC = resolve)));
  failB(new Error("boom"));
  await new Promise((r) => setImmediate(r));
  assert.equal(idle, false, "work tracked while waiting is waited for too");

  finishC();
  await waiting;
  assert.equal(work.size, 0);
});

test("InFlight counts a rejected promise out without an unhandled rejection", async () => {
  const work = new InFlight();
  const failing = Promise.reject(new Error("handled elsewhere"));
  failing.catch(() => undefined);
  work.track(failing);
  await work.idle();
  assert.equal(work.size, 0);
});

test("InFlight: work tracked just as the count reaches zero, before the waiter resumes, is waited for", async () => {
  const work = new InFlight();
  let finishA!: () => void;
  const a = new Promise<void>((resolve) => (finishA = resolve));
  work.track(a);
  let finishB!: () => void;
  // Runs after InFlight's own callback on `a`: the count has just reached zero.
  void a.then(() => work.track(new Promise<void>((resolve) => (finishB = resolve))));
  let idle = false;
  const waiting = work.idle().then(() => (idle = true));
  finishA();
  await new Promise((r) => setImmediate(r));
  assert.equal(idle, false);
  assert.equal(work.size, 1);
  finishB();
  await waiting;
});
