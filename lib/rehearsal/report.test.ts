import { describe, expect, it } from "vitest";
import type { TaskState } from "@/lib/providers/contract";
import { freshPhases, type RehearsalView } from "./phases";
import { renderReport } from "./report";
import { slowestPull } from "./run";

const task = (role: TaskState["role"], pullSeconds?: number): TaskState => ({
  id: `${role}-1`,
  role,
  lastStatus: "RUNNING",
  desiredStatus: "RUNNING",
  cpu: 1024,
  memory: 4096,
  ...(pullSeconds === undefined ? {} : { pullSeconds }),
});

const view = (over: Partial<RehearsalView>): RehearsalView => ({
  id: "r1",
  status: "passed",
  startedAt: "2026-12-05T18:00:00.000Z",
  startedBy: "facilitator",
  provider: "aws",
  stackName: "dask-rehearsal-abc123",
  months: ["202101"],
  phases: freshPhases(),
  ...over,
});

describe("the rehearsal's image pull time", () => {
  it("is the slowest pull among its tasks, and says so in the report", () => {
    const pull = slowestPull([task("scheduler", 31.5), task("worker", 48.25), task("worker")]);
    expect(pull).toEqual({ seconds: 48.25, role: "worker" });
    expect(renderReport(view({ imagePull: pull }))).toContain("- Slowest pull of the room's image: 48.3 s (a worker task)");
  });

  it("says the platform reported none rather than inventing a figure", () => {
    expect(slowestPull([task("scheduler"), task("worker")])).toBeNull();
    expect(renderReport(view({ imagePull: null }))).toContain("- Not reported: the platform gave no image pull times");
  });
});
