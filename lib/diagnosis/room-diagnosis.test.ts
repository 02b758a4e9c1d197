import { describe, expect, it } from "vitest";
import { causesMet, currentDiagnosisOf } from "@/lib/db/diagnosis-queries";
import { listHelpQueue } from "@/lib/db/room-queries";
import { providerRef } from "@/lib/db/environment-queries";
import { requestHelp } from "@/lib/room/help";
import { buildRoster } from "@/lib/room/roster";
import type { EnvironmentEvents, FrameOf } from "@/lib/stream/protocol";
import { attendee, environmentRow, environmentTab, fakeRuntime, fakeTimersPerTest, memoryStorePerTest } from "@/test/support/unit";
import { dismissDiagnosis } from "./dismiss";
import { FailureWatch } from "./watch";

// An environment's failure signals, diagnosed on the portal's runtime (fake provider,
// in-memory store, fake timers): what the attendee's stream carries, what the roster and
// the help queue show, what the final report counts.

memoryStorePerTest();
const pass = fakeTimersPerTest();

async function running(name: string) {
  const { fake, rt } = fakeRuntime();
  const person = attendee(name);
  const row = environmentRow(person.id, `dask-${name.toLowerCase()}`);
  await fake.deploy(providerRef(row), { workers: 2 });
  fake.settle(row.id);
  const tab = environmentTab();
  rt.watchers.watch(row).subscribe(tab.sink, null);
  await pass(3_000);
  return { fake, rt, row, person, tab };
}

const diagnosesIn = (frames: FrameOf<EnvironmentEvents>[]) => frames.flatMap((f) => (f.event === "diagnosis" ? [f.data] : []));
const roster = (rt: ReturnType<typeof fakeRuntime>["rt"]) =>
  buildRoster({ snapshotOf: (id) => rt.watchers.lastSnapshot(id), progressOf: () => null, portalPins: null }, "cpu-seconds");

describe("an environment's diagnosis", () => {
  it("names the cause of a task stopped for memory, with the fix, and keeps the platform's words", async () => {
    const { fake, rt, row, tab } = await running("Ada");
    const worker = (await fake.describe(providerRef(row))).tasks.find((t) => t.role === "worker")!;
    fake.stopTask(row.id, worker.id, "OutOfMemoryError: Container killed due to memory usage");
    await pass(3_000);
    const [d] = diagnosesIn(tab.frames);
    expect(d).toMatchObject({ code: "out-of-memory", raw: "OutOfMemoryError: Container killed due to memory usage", source: `worker task ${worker.id} stopped` });
    expect(d?.fix).toContain("raises worker memory");
    expect(roster(rt).find((r) => r.envId === row.id)?.diagnosis?.code).toBe("out-of-memory");
  });

  it("keeps the cause when its consequence follows (a worker lost after an out-of-memory kill), and takes a new cause", async () => {
    const { fake, row, tab } = await running("Bo");
    const worker = (await fake.describe(providerRef(row))).tasks.find((t) => t.role === "worker")!;
    fake.stopTask(row.id, worker.id, "OutOfMemoryError: Container killed due to memory usage");
    await pass(3_000);
    fake.log(row.id, "distributed.scheduler - ERROR - Task ('grab-1', 0) marked as failed because 4 workers died while trying to run it");
    await pass(3_000);
    expect(diagnosesIn(tab.frames).map((d) => d?.code)).toEqual(["out-of-memory"]);
    fake.log(row.id, "distributed.worker - WARNING - Mismatched versions found", "worker", worker.id);
    await pass(3_000);
    expect(diagnosesIn(tab.frames).map((d) => d?.code)).toEqual(["out-of-memory", "version-mismatch"]);
    expect(currentDiagnosisOf(row.id)?.code).toBe("version-mismatch");
  });

  it("says nothing for healthy lines and expected stops", async () => {
    const { fake, row, tab } = await running("Cy");
    fake.log(row.id, "distributed.scheduler - INFO - Remove worker addr: tls://127.0.0.1:39301 name: worker-2 (stimulus_id='handle-worker-cleanup-1')");
    fake.log(row.id, "distributed.scheduler - INFO - Lost all workers");
    const worker = (await fake.describe(providerRef(row))).tasks.find((t) => t.role === "worker")!;
    fake.stopTask(row.id, worker.id, "Scaled in: worker service desired count set to 1");
    await pass(3_000);
    expect(diagnosesIn(tab.frames)).toEqual([]);
  });

  it("points a rollback at the first failed resource's event, and shows that resource's own cause", async () => {
    const { fake, rt } = fakeRuntime();
    const person = attendee("Dee");
    const row = environmentRow(person.id, "dask-dee");
    await fake.deploy(providerRef(row), { workers: 2 });
    const tab = environmentTab();
    rt.watchers.watch(row).subscribe(tab.sink, null);
    fake.failCreate(row.id, "WorkerService", "Resource timed out waiting for completion");
    await pass(3_000);
    const last = diagnosesIn(tab.frames).at(-1);
    expect(last?.code).toBe("timeout");
    expect(last?.source).toContain("WorkerService CREATE_FAILED");
  });

  it("goes with a help request, so the facilitator's queue shows the cause; the final report counts it", async () => {
    const { fake, rt, row, person } = await running("Eve");
    fake.log(row.id, "SetupError: no read access to s3://era5-pds: set data_url to s3://nsf-ncar-era5 (read anonymously) or to a folder you can read");
    await pass(3_000);
    requestHelp(rt, { id: person.id, role: "attendee" }, "");
    expect(listHelpQueue().map((h) => h.diagnosis)).toEqual(["data-access"]);
    expect(causesMet()).toEqual([{ code: "data-access", attendees: 1, times: 1 }]);
  });

  it("leaves the page and the roster once the attendee dismisses it, and stays counted", async () => {
    const { fake, rt, row, person, tab } = await running("Fin");
    fake.log(row.id, "bwrap: Creating new namespace failed: Operation not permitted");
    await pass(3_000);
    dismissDiagnosis(rt, { id: person.id, role: "attendee" }, row.id);
    expect(diagnosesIn(tab.frames).at(-1)).toBeNull();
    expect(roster(rt).find((r) => r.envId === row.id)?.diagnosis).toBeNull();
    expect(causesMet().map((c) => c.code)).toEqual(["sandbox"]);
    expect(() => dismissDiagnosis(rt, { id: attendee("Gil").id, role: "attendee" }, row.id)).toThrow("Environment not found.");
  });
});

describe("a rollback's diagnosis", () => {
  it("points at the first resource that failed for a reason of its own", () => {
    const watch = new FailureWatch("no-such-env");
    const at = new Date().toISOString();
    const found = watch.observe([
      { event: "stack-event", data: { at, resource: "WorkerTaskDefinition", status: "CREATE_FAILED", reason: "Resource handler returned message: \"Invalid request provided: something new\"" } },
      { event: "stack-event", data: { at, resource: "SchedulerService", status: "CREATE_FAILED", reason: "Resource creation cancelled" } },
      { event: "stack-event", data: { at, resource: "dask-dee", status: "ROLLBACK_IN_PROGRESS", reason: "The following resource(s) failed to create: [WorkerTaskDefinition, SchedulerService]. Rollback requested by user." } },
    ]);
    expect(found).toMatchObject({ code: "stack-rollback", pointsAt: "WorkerTaskDefinition CREATE_FAILED: Resource handler returned message: \"Invalid request provided: something new\"" });
  });
});

describe("a help request without an environment's diagnosis", () => {
  it("takes the cause the attendee's pasted error names", async () => {
    const { rt, person } = await running("Hal");
    requestHelp(rt, { id: person.id, role: "attendee" }, "distributed.scheduler.KilledWorker: Attempted to run task ('grab-1', 0) on 4 different workers, but all those workers died while running it.");
    expect(listHelpQueue().map((h) => h.diagnosis)).toEqual(["worker-lost"]);
  });
});
