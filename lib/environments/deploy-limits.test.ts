import { describe, expect, it, vi } from "vitest";
import { listAudit } from "@/lib/db/audit-queries";
import { liveEnvironmentOf, updateEnvironment } from "@/lib/db/environment-queries";
import { markEventEnded, saveEventSettings } from "@/lib/db/room-queries";
import { asAttendee, fakeRuntime, fakeTimersPerTest, memoryStorePerTest, refusal } from "@/test/support/unit";
import { deployEnvironment, teardownEnvironment } from "./index";

// Deploy within the event's limits: only while the event is on, and one environment per
// attendee. The clock is fake, set to a moment of the event's day.

memoryStorePerTest();
fakeTimersPerTest();

const deployAudits = () => listAudit().filter((a) => a.action === "deploy");

const event = (startsAt: string | null, endsAt: string | null) => saveEventSettings({ name: "Workshop", startsAt, endsAt });

describe("deploys and the event's window", () => {
  it("refuses a deploy before the event starts, says when it opens, and lets it through from then", async () => {
    vi.setSystemTime(new Date("2026-12-02T08:30:00Z"));
    event("2026-12-02T09:00:00Z", "2026-12-02T17:00:00Z");
    const { fake, rt } = fakeRuntime();
    const ada = asAttendee("Ada");
    expect(await refusal(deployEnvironment(rt, ada))).toMatchObject({ code: "conflict", message: "The event starts at 09:00 UTC; deploys open then." });
    expect(fake.callCount("deploy")).toBe(0);
    expect(liveEnvironmentOf(ada.id)).toBeUndefined();
    expect(deployAudits()).toMatchObject([{ actorId: ada.id, result: "error", detail: "The event starts at 09:00 UTC; deploys open then." }]);

    vi.setSystemTime(new Date("2026-12-02T09:00:00Z"));
    const row = await deployEnvironment(rt, ada);
    expect(row.status).toBe("CREATE_IN_PROGRESS");
    expect(fake.callCount("deploy")).toBe(1);
  });

  it("refuses a deploy once the event's end has passed, creating nothing", async () => {
    vi.setSystemTime(new Date("2026-12-02T17:00:01Z"));
    event("2026-12-02T09:00:00Z", "2026-12-02T17:00:00Z");
    const { fake, rt } = fakeRuntime();
    const ada = asAttendee("Ada");
    expect(await refusal(deployEnvironment(rt, ada))).toMatchObject({ code: "conflict", message: "The event has ended (at 17:00 UTC); deploys are closed." });
    expect(fake.callCount("deploy")).toBe(0);
    expect(liveEnvironmentOf(ada.id)).toBeUndefined();
  });

  it("refuses a deploy once the portal has ended the event", async () => {
    vi.setSystemTime(new Date("2026-12-02T17:05:00Z"));
    event(null, "2026-12-02T17:00:00Z");
    markEventEnded("2026-12-02T17:00:02Z");
    const { rt } = fakeRuntime();
    expect(await refusal(deployEnvironment(rt, asAttendee("Ada")))).toMatchObject({ message: "The event has ended (at 17:00 UTC); deploys are closed." });
  });
});

describe("one environment per attendee", () => {
  it("gives a second deploy the same environment, and refuses a new one while the old one is being deleted", async () => {
    const { fake, rt } = fakeRuntime();
    const ada = asAttendee("Ada");
    const first = await deployEnvironment(rt, ada);
    expect((await deployEnvironment(rt, ada)).id).toBe(first.id);
    fake.settle(first.id);
    updateEnvironment(first.id, { status: "CREATE_COMPLETE" });

    await teardownEnvironment(rt, ada, first.id);
    expect(await refusal(deployEnvironment(rt, ada))).toMatchObject({
      code: "conflict",
      message: "Your environment is still being deleted; deploy again once it is gone.",
    });
    expect(fake.callCount("deploy")).toBe(1);

    // Once the old one is gone, there is room for a new one.
    fake.settle(first.id);
    await rt.watchers.watch(first).pollNow();
    const second = await deployEnvironment(rt, ada);
    expect(second.id).not.toBe(first.id);
    expect(fake.callCount("deploy")).toBe(2);
  });
});

describe("deploys and the machine's memory", () => {
  const capacity = { machine: { cores: 2, memoryMiB: 8 * 1024 }, reserveMiB: 1024, workerMemoryMiB: 2048, notebookMemoryMiB: 1024, cpus: 2, capped: true };

  it("refuses a deploy that would overcommit the machine, creating nothing and saying what to do", async () => {
    // (8192 - 1024) / (2 × 2048 + 1024) = 1.4: one environment fits, the second does not.
    const { fake, rt } = fakeRuntime({ capacity });
    expect(rt.provider.capacity?.report()).toMatchObject({ fit: 1, more: 1 });
    await deployEnvironment(rt, asAttendee("Ada"));
    expect(rt.provider.capacity?.report()).toMatchObject({ live: 1, more: 0 });

    const grace = asAttendee("Grace");
    const refused = await refusal(deployEnvironment(rt, grace));
    expect(refused.message).toMatch(/^This machine is full: 1 environment already plan 5\.0 GiB and a new one needs 5\.0 GiB/);
    expect(refused.message).toMatch(/tear down idle environments/);
    expect(fake.callCount("deploy")).toBe(1);
    expect(liveEnvironmentOf(grace.id)).toBeUndefined();
    expect(deployAudits().filter((a) => a.actorId === grace.id)).toMatchObject([{ result: "error", detail: refused.message }]);
  });

  it("lets the next attendee deploy once an environment is torn down", async () => {
    const { fake, rt } = fakeRuntime({ capacity });
    const ada = asAttendee("Ada");
    const row = await deployEnvironment(rt, ada);
    await teardownEnvironment(rt, ada, row.id);
    fake.settle(row.id);
    const second = await deployEnvironment(rt, asAttendee("Grace"));
    expect(second.status).toBe("CREATE_IN_PROGRESS");
  });

  it("gives an attendee who already has an environment that one, even when the machine is full", async () => {
    const { rt } = fakeRuntime({ capacity });
    const ada = asAttendee("Ada");
    const row = await deployEnvironment(rt, ada);
    expect((await deployEnvironment(rt, ada)).id).toBe(row.id);
  });
});
