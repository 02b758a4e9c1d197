// Helpers for the unit tests of the portal's middle (store, hub, room, commands): a fresh
// in-memory SQLite per test, attendees and environments as the portal makes them, the
// portal's runtime around a fake provider, and fake timers.
import { afterEach, beforeEach, vi } from "vitest";
import { portalConfig } from "@/lib/config";
import { openDb, useStore } from "@/lib/db";
import { createEnvironmentOnce, upsertAttendee } from "@/lib/db/queries";
import { FakeProvider, type FakeOptions } from "@/lib/providers/fake";
import { Runtime } from "@/lib/runtime";

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
