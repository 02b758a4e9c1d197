import { describe, expect, it } from "vitest";
import { asAttendee, fakeRuntime, memoryStorePerTest, refusal } from "@/test/support/unit";
import { getEnvironment, liveEnvironmentOf, providerRef } from "@/lib/db/environment-queries";
import { listAudit } from "@/lib/db/audit-queries";
import { deployEnvironment, environmentFor, scaleEnvironment, teardownEnvironment } from "./index";
import { reconcileEnvironments } from "./reconcile";

// The commands on an environment, with the fake provider and an in-memory store: who may
// do what, what the provider is asked, what the store and the audit log then say.

memoryStorePerTest();

const facilitator = { id: "facilitator", role: "facilitator" as const };
const audits = (action: string) => listAudit().filter((a) => a.action === action);

describe("deploy", () => {
  it("creates one environment however often it is clicked, and records it", async () => {
    const { fake, rt } = fakeRuntime();
    const ada = asAttendee("Ada");
    const [a, b] = await Promise.all([deployEnvironment(rt, ada), deployEnvironment(rt, ada)]);
    expect(a.id).toBe(b.id);
    expect(fake.callCount("deploy")).toBe(1);
    expect(liveEnvironmentOf(ada.id)?.stackName).toMatch(/^dask-ada-[0-9a-f]{6}$/);
    expect(audits("deploy")).toMatchObject([{ actorId: ada.id, result: "ok", target: a.id }]);
  });

  it("shows a refused create as CREATE_FAILED with the platform's reason, and asks for a delete before a new deploy", async () => {
    const { fake, rt } = fakeRuntime();
    const ada = asAttendee("Ada");
    fake.refuseNextDeploy("Parameter WorkerCount failed to satisfy constraint");
    const error = await refusal(deployEnvironment(rt, ada));
    expect(error).toMatchObject({ code: "bad_request", message: "Parameter WorkerCount failed to satisfy constraint" });
    expect(liveEnvironmentOf(ada.id)).toMatchObject({ status: "CREATE_FAILED", statusReason: "Parameter WorkerCount failed to satisfy constraint" });
    expect(audits("deploy")).toMatchObject([{ result: "error", detail: "Parameter WorkerCount failed to satisfy constraint" }]);
    expect(await refusal(deployEnvironment(rt, ada))).toMatchObject({ code: "conflict", message: expect.stringContaining("Delete it first") });
  });

  it("is for attendees only", async () => {
    const { rt } = fakeRuntime();
    expect(await refusal(deployEnvironment(rt, facilitator))).toMatchObject({ code: "forbidden" });
  });
});

describe("scale", () => {
  it("turns bad input into a clear message, records the refusal, and asks the provider nothing", async () => {
    const { fake, rt } = fakeRuntime({ maxWorkers: 4 });
    const ada = asAttendee("Ada");
    const row = await deployEnvironment(rt, ada);
    fake.settle(row.id);
    for (const bad of ["abc", "1000000000", -1, 2.5, "", null]) {
      expect(await refusal(scaleEnvironment(rt, ada, row.id, bad))).toMatchObject({
        code: "bad_request",
        message: "Enter a whole number of workers from 0 to 4.",
      });
    }
    expect(fake.callCount("scale")).toBe(0);
    expect(audits("scale").every((a) => a.result === "error")).toBe(true);
    expect(await scaleEnvironment(rt, ada, row.id, "3")).toBe(3);
    expect((await fake.describe(providerRef(row))).desiredWorkers).toBe(3);
  });

  it("lets nobody but the owner and the facilitator touch an environment, without saying it exists", async () => {
    const { fake, rt } = fakeRuntime();
    const ada = asAttendee("Ada");
    const row = await deployEnvironment(rt, ada);
    fake.settle(row.id);
    const stranger = asAttendee("Stranger");
    expect(await refusal(scaleEnvironment(rt, stranger, row.id, 1))).toMatchObject({ code: "not_found", message: "Environment not found." });
    expect(await refusal(teardownEnvironment(rt, stranger, row.id))).toMatchObject({ code: "not_found" });
    expect(await refusal(scaleEnvironment(rt, stranger, "not-an-id", 1))).toMatchObject({ code: "not_found", message: "Environment not found." });
    expect(() => environmentFor(facilitator, row.id)).not.toThrow();
    expect(await scaleEnvironment(rt, facilitator, row.id, 0)).toBe(0);
  });
});

describe("tear down", () => {
  it("tells the provider who asked, and is harmless once the environment is gone", async () => {
    const { fake, rt } = fakeRuntime();
    const ada = asAttendee("Ada");
    const row = await deployEnvironment(rt, ada);
    fake.settle(row.id);
    await teardownEnvironment(rt, ada, row.id);
    expect((await fake.describe(providerRef(row))).reason).toBe("User Initiated by its owner");
    fake.settle(row.id);
    await rt.watchers.watch(row).pollNow();
    expect(getEnvironment(row.id)?.deletedAt).not.toBeNull();
    await teardownEnvironment(rt, facilitator, row.id);
    expect(fake.callCount("destroy")).toBe(1);
    expect(audits("teardown")).toMatchObject([{ actorId: ada.id, result: "ok" }]);
  });
});

describe("reconciling with the cloud's stacks", () => {
  it("brings back a stack the store lost under a placeholder attendee, and retires an environment whose stack vanished", async () => {
    const { fake, rt } = fakeRuntime({ listsStacks: true });
    const ada = asAttendee("Ada");
    const row = await deployEnvironment(rt, ada);
    fake.settle(row.id);
    await rt.watchers.watch(row).pollNow();
    fake.vanish(row.id);
    fake.foundStacks.push({ stackName: "dask-ghost-abcdef", attendeeId: "ghost", status: "CREATE_COMPLETE" });

    const result = await reconcileEnvironments(fake);
    expect(result.retired.map((r) => r.id)).toEqual([row.id]);
    expect(getEnvironment(row.id)).toMatchObject({ status: "DELETE_COMPLETE", statusReason: "deleted outside the portal" });
    expect(result.found.map((r) => r.stackName)).toEqual(["dask-ghost-abcdef"]);
    expect(result.placeholders).toEqual(["ghost"]);
    expect(liveEnvironmentOf("ghost")?.stackName).toBe("dask-ghost-abcdef");

    const again = await reconcileEnvironments(fake);
    expect([again.found, again.retired, again.placeholders]).toEqual([[], [], []]);
  });

  it("has nothing to compare with a provider that keeps no list of stacks", async () => {
    const { fake } = fakeRuntime();
    expect((await reconcileEnvironments(fake)).checked).toBe(false);
  });
});
