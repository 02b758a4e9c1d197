import { describe, expect, it } from "vitest";
import { getEnvironment, providerRef } from "@/lib/db/environment-queries";
import { listAudit } from "@/lib/db/audit-queries";
import { attendee, environmentTab, fakeRuntime, fakeTimersPerTest, memoryStorePerTest } from "@/test/support/unit";
import { deployEnvironment } from "./index";

// The worker maximum held on what runs: the notebook sets its worker service's desired
// count past the event's maximum behind the portal's back (the fake plays ECS), and the
// environment's stream sets it back, tells the attendee and writes the audit log.

memoryStorePerTest();
const pass = fakeTimersPerTest();

async function runningEnvironment(maxWorkers = 4) {
  const { fake, rt } = fakeRuntime({ maxWorkers });
  const ada = { id: attendee("Ada").id, role: "attendee" as const };
  const row = await deployEnvironment(rt, ada);
  fake.settle(row.id);
  return { fake, rt, row };
}

describe("the worker maximum", () => {
  it("sets a count raised past the maximum outside the portal back to it, and tells the attendee why", async () => {
    const { fake, rt, row } = await runningEnvironment(4);
    const page = environmentTab();
    rt.watchers.watch(row).subscribe(page.sink, null);
    await pass(5_000);

    fake.setDesiredCountOutside(row.id, 10);
    await pass(5_000);

    expect((await fake.describe(providerRef(row))).desiredWorkers).toBe(4);
    expect(page.notices()).toEqual(["Your workers were set back to 4, the event's maximum (the worker service had been asked for 10)."]);
    expect(getEnvironment(row.id)?.desiredWorkers).toBe(4);
    expect(listAudit().filter((a) => a.action === "worker-limit")).toMatchObject([
      { actorRole: "system", target: row.id, result: "ok", detail: "desired count 10 set back to 4" },
    ]);
    // Once set back, later polls leave it alone.
    fake.settle(row.id);
    await pass(10_000);
    expect(page.notices()).toHaveLength(1);
    expect(fake.callCount("scale")).toBe(1);
  });

  it("leaves a count within the maximum alone, whoever set it", async () => {
    const { fake, rt, row } = await runningEnvironment(4);
    const page = environmentTab();
    rt.watchers.watch(row).subscribe(page.sink, null);
    fake.setDesiredCountOutside(row.id, 4);
    await pass(5_000);
    expect((await fake.describe(providerRef(row))).desiredWorkers).toBe(4);
    expect(page.notices()).toEqual([]);
    expect(fake.callCount("scale")).toBe(0);
  });

  it("during an outage sets nothing back and records nothing, then holds the maximum once the platform answers", async () => {
    const { fake, rt, row } = await runningEnvironment(4);
    const stream = rt.watchers.watch(row);
    await stream.pollNow();
    fake.setDesiredCountOutside(row.id, 9);
    fake.setOutage("ECS is unreachable");
    await stream.pollNow();
    expect(listAudit().filter((a) => a.action === "worker-limit")).toEqual([]);

    fake.setOutage(null);
    await stream.pollNow();
    expect((await fake.describe(providerRef(row))).desiredWorkers).toBe(4);
    expect(listAudit().filter((a) => a.action === "worker-limit")).toHaveLength(1);
  });
});

describe("an environment nobody watches", () => {
  it("is still held to the maximum: the runtime polls every live environment now and then", async () => {
    const { fake, rt, row } = await runningEnvironment(4);
    await rt.start();
    await pass(10_000);
    fake.setDesiredCountOutside(row.id, 12);
    await pass(61_000);
    expect((await fake.describe(providerRef(row))).desiredWorkers).toBe(4);
    expect(listAudit().filter((a) => a.action === "worker-limit")).toHaveLength(1);
  });
});
