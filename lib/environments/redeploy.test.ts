import { describe, expect, it } from "vitest";
import { listAudit } from "@/lib/db/audit-queries";
import { liveEnvironmentOf } from "@/lib/db/environment-queries";
import { attendee, fakeRuntime, fakeTimersPerTest, memoryStorePerTest } from "@/test/support/unit";
import { deployEnvironment } from "./index";
import { redeployEnvironments } from "./redeploy";

// "Tear down and redeploy these N" from the Room problems card, on the fake provider.

memoryStorePerTest();
const pass = fakeTimersPerTest();
const facilitator = { id: "facilitator", role: "facilitator" as const };

describe("redeploying a group's environments", () => {
  it("deletes each one and deploys a new one for its attendee once the old one is gone", async () => {
    const { fake, rt } = fakeRuntime();
    await rt.start();
    const ann = attendee("Ann");
    const old = await deployEnvironment(rt, { id: ann.id, role: "attendee" });
    fake.settle(old.id);
    await pass(3_000);

    const outcome = await redeployEnvironments(rt, facilitator, [ann.id, ann.id, "nobody"]);
    expect(outcome).toEqual({ started: [ann.id], failed: [{ attendeeId: "nobody", error: "No such attendee." }] });
    // One environment per attendee throughout: nothing new while the old one is deleting.
    expect(liveEnvironmentOf(ann.id)?.id).toBe(old.id);
    fake.settle(old.id);
    await pass(3_000);
    const fresh = liveEnvironmentOf(ann.id);
    expect(fresh && fresh.id !== old.id).toBe(true);
    expect(listAudit().map((e) => e.action)).toEqual(expect.arrayContaining(["teardown", "redeploy", "deploy"]));
  });
});
