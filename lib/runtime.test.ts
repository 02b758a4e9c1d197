import { describe, expect, it, vi } from "vitest";
import { attendee, environmentRow, fakeRuntime, memoryStorePerTest } from "@/test/support/unit";
import { portalConfig } from "./config";
import { getEnvironment, liveEnvironmentOf, providerRef, updateEnvironment } from "@/lib/db/environment-queries";
import { listAudit } from "@/lib/db/audit-queries";
import { getEventSettings, saveEventSettings } from "@/lib/db/room-queries";
import { appendStreamEvent, streamEventsAfter } from "./db/stream-queries";
import { FakeProvider } from "./providers/fake";
import { enforceEventEnd } from "./room/event";
import { REHEARSAL_ATTENDEE_ID } from "./rehearsal/phases";
import { Runtime } from "./runtime";

// The portal's runtime with the fake provider: what happens at start-up and shutdown,
// and the promise that nothing outlives the event.

memoryStorePerTest();

describe("the portal's runtime", () => {
  it("at start-up brings back stacks the store lost, hands every live environment to the provider and follows it", async () => {
    const { fake, rt } = fakeRuntime({ listsStacks: true });
    const ada = attendee("Ada");
    const row = environmentRow(ada.id, "dask-ada-aaaaaa");
    fake.foundStacks.push({ stackName: "dask-lost-bbbbbb", attendeeId: "lost", status: "CREATE_COMPLETE" });

    await rt.start();
    await rt.start();
    expect(fake.callCount("listStacks")).toBe(1);
    expect(liveEnvironmentOf("lost")?.stackName).toBe("dask-lost-bbbbbb");
    // The store said Ada's environment was alive; the provider has never seen it: it is gone.
    await rt.watchers.watch(row).pollNow();
    expect(getEnvironment(row.id)?.deletedAt).not.toBeNull();
    expect(listAudit().some((a) => a.action === "reconcile" && a.actorRole === "system")).toBe(true);
    rt.stop();
    expect(fake.released).toBe(true);
  });

  it("at the event's end deletes every environment still running, records each, and marks the event ended", async () => {
    const { fake, rt } = fakeRuntime();
    const rows = [];
    for (const name of ["Ada", "Bob"]) {
      const row = environmentRow(attendee(name).id, `dask-${name.toLowerCase()}`);
      await fake.deploy(providerRef(row), { workers: 2 });
      fake.settle(row.id);
      rows.push(row);
    }
    const deps = { provider: rt.provider, watchers: rt.watchers, signal: rt.signal, eventName: "Room" };
    saveEventSettings({ name: "Room", startsAt: null, endsAt: new Date(Date.now() + 60_000).toISOString() });
    expect(await enforceEventEnd(deps)).toBe(0);
    saveEventSettings({ name: "Room", startsAt: null, endsAt: new Date(Date.now() - 1_000).toISOString() });
    expect(await enforceEventEnd(deps)).toBe(2);
    for (const row of rows) expect((await fake.describe(providerRef(row))).reason).toBe("User Initiated by the portal at the end of the event");
    expect(listAudit().filter((a) => a.action === "event-end-teardown" && a.result === "ok")).toHaveLength(2);
    expect(getEventSettings("Room").endedAt).not.toBeNull();
    // While the deletions run, nothing is asked twice; once they are gone, nothing is left to ask.
    expect(await enforceEventEnd(deps)).toBe(0);
    rt.stop();
  });

  it("at the event's end also deletes a dress rehearsal's stack its process left standing, then stops looking", async () => {
    const { fake, rt } = fakeRuntime({ listsStacks: true });
    const ada = environmentRow(attendee("Ada").id, "dask-ada-cccccc");
    await fake.deploy(providerRef(ada), { workers: 1 });
    // A rehearsal whose portal stopped mid-run: its stack has no environment row.
    const rehearsal = { id: "0f0f0f0f-0000-4000-8000-000000000001", stackName: "dask-rehearsal-abc123", attendeeId: REHEARSAL_ATTENDEE_ID, attendeeEmail: "rehearsal@portal.invalid" };
    await fake.deploy(rehearsal, { workers: 1 });
    fake.settle(rehearsal.id);
    const deps = { provider: rt.provider, watchers: rt.watchers, signal: rt.signal, eventName: "Room" };
    saveEventSettings({ name: "Room", startsAt: null, endsAt: new Date(Date.now() - 1_000).toISOString() });
    expect(await enforceEventEnd(deps)).toBe(2);
    expect((await fake.describe(rehearsal)).status).toBe("DELETE_IN_PROGRESS");
    expect(listAudit().some((a) => a.action === "event-end-teardown" && a.target === "dask-rehearsal-abc123" && a.result === "ok")).toBe(true);
    // Asked again while it is deleting; once the cloud holds none, the room's stacks are not listed again.
    expect(await enforceEventEnd(deps)).toBe(0);
    fake.settle(rehearsal.id);
    await enforceEventEnd(deps);
    const listed = fake.callCount("listStacks");
    await enforceEventEnd(deps);
    expect(fake.callCount("listStacks")).toBe(listed);
    rt.stop();
  });

  it("prunes stored stream events at start and every ten minutes: a day after teardown, and beyond each environment's ceiling", async () => {
    vi.useFakeTimers({ now: new Date("2026-12-02T09:00:00Z") });
    const hours = (n: number) => new Date(Date.now() - n * 60 * 60_000).toISOString();
    const withEvents = (name: string, from: number, to: number) => {
      const row = environmentRow(attendee(name).id, `dask-${name.toLowerCase()}`);
      for (let seq = from; seq <= to; seq++) appendStreamEvent(row.id, seq, "log", "{}");
      return row;
    };
    const stored = (envId: string) => streamEventsAfter(envId, 0).map((e) => e.seq);
    const longGone = withEvents("Ada", 1, 5);
    updateEnvironment(longGone.id, { status: "DELETE_COMPLETE", deletedAt: hours(25) });
    const busy = withEvents("Bob", 1, 250);
    updateEnvironment(busy.id, { status: "DELETE_COMPLETE", deletedAt: hours(1) });
    const rt = new Runtime(portalConfig({ PORTAL_DATA_DIR: "/nonexistent", PORTAL_STREAM_EVENTS_KEPT: "100" }), new FakeProvider());
    try {
      await rt.start();
      expect(stored(longGone.id)).toEqual([]);
      expect(stored(busy.id)).toEqual(Array.from({ length: 100 }, (_, i) => 151 + i));

      for (let seq = 251; seq <= 300; seq++) appendStreamEvent(busy.id, seq, "log", "{}");
      await vi.advanceTimersByTimeAsync(10 * 60_000);
      expect(stored(busy.id)).toEqual(Array.from({ length: 100 }, (_, i) => 201 + i));

      // A day later (the clock jumps rather than firing a day of the room's timers), the next prune empties it.
      vi.setSystemTime(Date.now() + 24 * 60 * 60_000);
      await vi.advanceTimersByTimeAsync(10 * 60_000);
      expect(stored(busy.id)).toEqual([]);
    } finally {
      rt.stop();
      vi.useRealTimers();
    }
  });
});
