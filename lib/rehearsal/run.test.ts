import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listAttendees } from "@/lib/db/attendee-queries";
import { latestReportedRehearsal, runningRehearsal } from "@/lib/db/rehearsal-queries";
import { FakeProvider } from "@/lib/providers/fake";
import { memoryStorePerTest } from "@/test/support/unit";
import { reconcileEnvironments } from "@/lib/environments/reconcile";
import { REHEARSAL_ATTENDEE_ID, type RehearsalView } from "./phases";
import { defaultLimits, startRehearsal, type RehearsalDeps } from "./run";
import { SUMMARY_MARKER } from "./summary";

// The rehearsal's orchestration with the fake provider (the test plays the platform and the
// notebook) and an in-memory store: phases in order, teardown after any failure, one
// rehearsal at a time, and a report that says what happened.

memoryStorePerTest();

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const summaryLine = `${SUMMARY_MARKER}{"months": 1, "timeSteps": 744, "gridPoints": 4050, "globalMeanC": 4.87, "minC": -52.1, "maxC": 41.3, "cities": 5}`;

function setup(options: { wait?: (fake: FakeProvider) => void | Promise<void> } = {}) {
  const fake = new FakeProvider({ rehearsal: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rehearsal-unit-"));
  dirs.push(dataDir);
  let clock = Date.parse("2026-12-01T09:00:00Z");
  const views: RehearsalView[] = [];
  const logs: string[] = [];
  const deps: RehearsalDeps = {
    provider: fake,
    settings: { dataDir, era5Months: ["202101", "202102"], limits: defaultLimits, pollMs: 5_000 },
    // Each wait lets the platform finish what it was doing, 5 s later.
    wait: async (ms) => {
      clock += ms;
      await (options.wait ?? ((f) => f.settle()))(fake);
    },
    now: () => new Date(clock),
  };
  const listener = { onView: (v: RehearsalView) => views.push(v), onLog: (l: { text: string }) => logs.push(l.text) };
  return { fake, deps, dataDir, views, logs, listener };
}

describe("the dress rehearsal", () => {
  it("deploys, waits for the tasks, runs the notebook, tears down and reports every phase timed with the results and the cost", async () => {
    const { fake, deps, views, logs, listener } = setup();
    fake.notebookRun = { lines: ["Executing notebook", summaryLine], result: { ok: true, exitCode: 0 } };
    const start = startRehearsal(deps, "facilitator", listener);
    expect(start.started).toBe(true);
    const view = await start.done!;

    expect(view.status).toBe("passed");
    expect(view.phases.map((p) => [p.name, p.status])).toEqual([
      ["stack", "done"],
      ["tasks", "done"],
      ["notebook", "done"],
      ["teardown", "done"],
    ]);
    for (const p of view.phases) expect(p.seconds).toBeTypeOf("number");
    // The phases began in order, each after the one before ended.
    const started = views.flatMap((v) => v.phases.filter((p) => p.status === "running").map((p) => p.name));
    expect([...new Set(started)]).toEqual(["stack", "tasks", "notebook", "teardown"]);
    expect(view.months).toEqual(["202101"]);
    expect(fake.notebookRuns.map((r) => r.stackName)).toEqual([view.stackName]);
    expect(logs).toContain("Executing notebook");
    expect(view.summary).toMatchObject({ globalMeanC: 4.87, cities: 5 });
    expect((await fake.describe(fake.notebookRuns[0])).status).toBe("DELETE_COMPLETE");

    const report = fs.readFileSync(view.reportPath!, "utf8");
    expect(report).toContain("PASSED");
    for (const label of ["Stack create", "Tasks running", "Notebook", "Teardown"]) expect(report).toMatch(new RegExp(`\\| ${label} \\| done \\| [0-9.]+ s`));
    expect(report).toContain("Global mean 2 m temperature: 4.87 °C");
    expect(report).toContain("Cities in the hourly table: 5");
    expect(report).toContain("CPU seconds");
    expect(latestReportedRehearsal()?.reportPath).toBe(view.reportPath);
    expect(runningRehearsal()).toBeUndefined();
    // Not an attendee: rosters and limits never see it.
    expect(listAttendees()).toEqual([]);
  });

  it("starts nothing on a second click while one runs, and says so", async () => {
    const { fake, deps, listener } = setup();
    fake.notebookRun = { lines: [summaryLine], result: { ok: true, exitCode: 0 } };
    const first = startRehearsal(deps, "facilitator", listener);
    const second = startRehearsal(deps, "terminal", listener);
    expect(second.started).toBe(false);
    expect(second.message).toMatch(/already running.*nothing new was started/);
    expect(second.view.id).toBe(first.view.id);
    await first.done;
    expect(fake.callCount("deploy")).toBe(1);
    const third = startRehearsal(deps, "facilitator", listener);
    expect(third.started).toBe(true);
    await third.done;
  });

  it("tears down and reports the phase, exit code and stoppedReason when the notebook fails", async () => {
    const { fake, deps, listener } = setup();
    fake.notebookRun = { lines: ["Traceback ..."], result: { ok: false, exitCode: 1, stoppedReason: "Essential container in task exited" } };
    const view = await startRehearsal(deps, "facilitator", listener).done!;
    expect(view.status).toBe("failed");
    expect(view.failure).toMatchObject({ phase: "notebook", exitCode: 1, stoppedReason: "Essential container in task exited" });
    expect(view.phases.find((p) => p.name === "teardown")?.status).toBe("done");
    expect((await fake.describe(fake.notebookRuns[0])).status).toBe("DELETE_COMPLETE");
    const report = fs.readFileSync(view.reportPath!, "utf8");
    expect(report).toContain("FAILED");
    expect(report).toContain("Phase: Notebook (notebook)");
    expect(report).toContain("Stopped reason: Essential container in task exited");
    expect(report).toContain("Exit code: 1");
  });

  it("fails the notebook phase when the run ends well but prints no summary", async () => {
    const { fake, deps, listener } = setup();
    fake.notebookRun = { lines: ["done"], result: { ok: true, exitCode: 0 } };
    const view = await startRehearsal(deps, "facilitator", listener).done!;
    expect(view.failure).toMatchObject({ phase: "notebook", reason: expect.stringMatching(/no WORKSHOP_SUMMARY/) });
  });

  it("tears down when the stack fails to create, skipping the phases after it", async () => {
    const { fake, deps, listener } = setup({
      wait: async (f) => {
        for (const ref of f.refs()) {
          if ((await f.describe(ref)).status === "CREATE_IN_PROGRESS") f.failCreate(ref.id, "SchedulerService", "Resource handler returned message: capacity unavailable");
          else f.settle(ref.id);
        }
      },
    });
    const view = await startRehearsal(deps, "facilitator", listener).done!;
    expect(view.failure).toMatchObject({ phase: "stack", reason: expect.stringMatching(/capacity unavailable/) });
    expect(view.phases.map((p) => p.status)).toEqual(["failed", "skipped", "skipped", "done"]);
    expect(fake.callCount("destroy")).toBe(1);
    expect(fake.callCount("runNotebook")).toBe(0);
    expect((await fake.describe(fake.refs()[0])).status).toBe("DELETE_COMPLETE");
  });

  it("tears down when the workers never run, naming the stopped task's reason", async () => {
    const { fake, deps, listener } = setup({
      wait: async (f) => {
        for (const ref of f.refs()) {
          const s = await f.describe(ref);
          if (s.status === "CREATE_IN_PROGRESS") {
            f.settle(ref.id);
            for (const t of s.tasks) if (t.role === "worker") f.stopTask(ref.id, t.id, "CannotPullContainerError: image not found");
          } else if (s.status === "DELETE_IN_PROGRESS") f.settle(ref.id);
        }
      },
    });
    deps.settings.limits = { ...defaultLimits, tasks: 60_000 };
    const view = await startRehearsal(deps, "facilitator", listener).done!;
    expect(view.failure?.phase).toBe("tasks");
    expect(view.failure?.reason).toMatch(/CannotPullContainerError/);
    expect(view.phases.map((p) => p.status)).toEqual(["done", "failed", "skipped", "done"]);
    expect(fake.callCount("runNotebook")).toBe(0);
    expect((await fake.describe(fake.refs()[0])).status).toBe("DELETE_COMPLETE");
  });

  it("reports a failed teardown as the failing phase", async () => {
    const { fake, deps, listener } = setup();
    fake.notebookRun = { lines: [summaryLine], result: { ok: true, exitCode: 0 } };
    fake.failNextDelete("The following resource(s) failed to delete: [WorkerSecurityGroup].");
    const view = await startRehearsal(deps, "facilitator", listener).done!;
    expect(view.failure).toMatchObject({ phase: "teardown", reason: expect.stringMatching(/DELETE_FAILED.*WorkerSecurityGroup/) });
  });

  it("is left alone by reconciliation: its stack becomes no attendee's environment", async () => {
    const fake = new FakeProvider({ rehearsal: true, listsStacks: true });
    fake.foundStacks.push({ stackName: "dask-rehearsal-abcdef", attendeeId: REHEARSAL_ATTENDEE_ID, status: "CREATE_COMPLETE" });
    const result = await reconcileEnvironments(fake);
    expect(result.found).toEqual([]);
    expect(result.placeholders).toEqual([]);
    expect(listAttendees()).toEqual([]);
  });

  it("refuses a provider without the capability, with what to use instead", () => {
    const { deps, listener } = setup();
    expect(() => startRehearsal({ ...deps, provider: new FakeProvider() }, "facilitator", listener)).toThrow(/local provider, or the AWS provider in event mode/);
    expect(runningRehearsal()).toBeUndefined();
  });
});
