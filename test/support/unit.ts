// Helpers for the unit tests of the portal's middle (store, watchers, room, commands): a fresh
// in-memory SQLite per test, attendees and environments as the portal makes them, the
// portal's runtime around a fake provider, and fake timers.
import { afterEach, beforeEach, vi } from "vitest";
import { portalConfig } from "@/lib/config";
import { openDb, useStore } from "@/lib/db";
import { createEnvironmentOnce } from "@/lib/db/environment-queries";
import { upsertAttendee } from "./seed";
import { PORTAL_TASK } from "@/lib/environments/enforce-limits";
import { PortalError } from "@/lib/errors";
import { FakeProvider, type FakeOptions } from "@/lib/providers/fake";
import { Runtime } from "@/lib/runtime";
import type { EnvironmentEvents } from "@/lib/stream/protocol";
import { RecordingTab } from "./tab";

const runtimes: Runtime[] = [];

/**
 * Every test of the calling file gets an empty store of its own. After each test the
 * runtimes it made are stopped first: a stream still polling on a real timer would
 * otherwise write to the default store (data/) once the test's store is gone.
 */
export function memoryStorePerTest(): void {
  let restore = () => {};
  beforeEach(() => {
    restore = useStore(openDb(":memory:"));
  });
  afterEach(() => {
    for (const rt of runtimes.splice(0)) rt.stop();
    restore();
  });
}

export function attendee(name: string) {
  return upsertAttendee({ name, email: `${name.toLowerCase().replace(/\W+/g, "-")}@example.org` });
}

/** A new attendee, as the commands see them acting. */
export const asAttendee = (name: string) => ({ id: attendee(name).id, role: "attendee" as const });

/** The PortalError `work` is refused with (the test fails if it is not refused, or otherwise). */
export async function refusal(work: Promise<unknown>): Promise<PortalError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!PortalError.is(error)) throw new Error(`expected a PortalError, got ${String(error)}`);
  return error;
}

/** A browser tab on an environment's stream: every frame it got, and the portal's own notices among them. */
export function environmentTab() {
  const sink = new RecordingTab<EnvironmentEvents>();
  const notices = () => sink.dataOf("log").flatMap((line) => (line.task === PORTAL_TASK ? [line.text] : []));
  return { sink, frames: sink.frames, notices };
}

/** An attendee's environment row, as the deploy command would create it. */
export function environmentRow(attendeeId: string, stackName: string) {
  return createEnvironmentOnce({ attendeeId, provider: "fake", stackName, desiredWorkers: 2 }).row;
}

/** The portal's runtime around a fake provider (not started: call start() when the test wants it). */
export function fakeRuntime(options: FakeOptions = {}) {
  const fake = new FakeProvider(options);
  const rt = new Runtime(portalConfig({ PORTAL_DATA_DIR: "/nonexistent" }), fake);
  runtimes.push(rt);
  return { fake, rt };
}

/** Every test of the calling file runs on fake timers; `pass(ms)` lets that much time go by. */
export function fakeTimersPerTest(): (ms: number) => Promise<unknown> {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  return (ms) => vi.advanceTimersByTimeAsync(ms);
}
