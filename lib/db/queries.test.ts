import { describe, expect, it } from "vitest";
import { attendee, memoryStorePerTest } from "@/test/support/unit";
import { createEnvironmentOnce, latestEnvironmentOf, liveEnvironmentOf, updateEnvironment, retireEnvironment, reviveEnvironment } from "./environment-queries";
import { ensureAttendee } from "./attendee-queries";
import { rosterRaw } from "./room-queries";

// The store's own promises, on an in-memory SQLite: what the rest of the portal relies on.
memoryStorePerTest();

describe("the store", () => {
  it("keeps one live environment per attendee: a second create gets the first, a deleted one makes room", () => {
    const ada = attendee("Ada");
    const first = createEnvironmentOnce({ attendeeId: ada.id, provider: "fake", stackName: "dask-ada-1", desiredWorkers: 2 });
    const again = createEnvironmentOnce({ attendeeId: ada.id, provider: "fake", stackName: "dask-ada-2", desiredWorkers: 2 });
    expect(first.created).toBe(true);
    expect(again).toEqual({ row: first.row, created: false });

    updateEnvironment(first.row.id, { status: "DELETE_COMPLETE", deletedAt: new Date().toISOString() });
    expect(liveEnvironmentOf(ada.id)).toBeUndefined();
    expect(latestEnvironmentOf(ada.id)?.id).toBe(first.row.id);
    const next = createEnvironmentOnce({ attendeeId: ada.id, provider: "fake", stackName: "dask-ada-3", desiredWorkers: 2 });
    expect(next.created).toBe(true);
    expect(latestEnvironmentOf(ada.id)?.id).toBe(next.row.id);
  });

  it("retires a live environment once, and brings a retired one back", () => {
    const ada = attendee("Ada");
    const { row } = createEnvironmentOnce({ attendeeId: ada.id, provider: "fake", stackName: "dask-ada", desiredWorkers: 2 });
    expect(retireEnvironment(row.id, "deleted outside the portal")).toMatchObject({ status: "DELETE_COMPLETE", runningWorkers: 0 });
    expect(retireEnvironment(row.id, "again")).toBeUndefined();
    expect(reviveEnvironment(row.id, "CREATE_COMPLETE")).toMatchObject({ deletedAt: null, status: "CREATE_COMPLETE" });
    expect(liveEnvironmentOf(ada.id)?.id).toBe(row.id);
  });

  it("records a stack's unknown attendee once, under a placeholder no one can sign in as", () => {
    const first = ensureAttendee("ghost");
    expect(first).toMatchObject({ created: true, attendee: { name: "unknown attendee ghost", email: "unknown-ghost@reconciled.invalid" } });
    expect(ensureAttendee("ghost").created).toBe(false);
  });

  it("reads the roster's material for some attendees only, when asked for only those", () => {
    const [ada, bob] = [attendee("Ada"), attendee("Bob")];
    createEnvironmentOnce({ attendeeId: ada.id, provider: "fake", stackName: "dask-ada", desiredWorkers: 2 });
    createEnvironmentOnce({ attendeeId: bob.id, provider: "fake", stackName: "dask-bob", desiredWorkers: 2 });
    const some = rosterRaw(new Set([bob.id]));
    expect(some.people.map((p) => p.name)).toEqual(["Bob"]);
    expect(some.envs.map((e) => e.stackName)).toEqual(["dask-bob"]);
    expect(rosterRaw().people).toHaveLength(2);
  });
});
