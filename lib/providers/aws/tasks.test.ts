import type { Task } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { environmentTasks, TaskIndex, toTaskState } from "./tasks";

const task = (id: string, over: Partial<Task>): Task => ({
  taskArn: `arn:aws:ecs:us-west-2:123456789012:task/room/${id}`,
  lastStatus: "RUNNING",
  desiredStatus: "RUNNING",
  cpu: "1024",
  memory: "4096",
  ...over,
});

const names = (stack: string) => ({ cluster: "room", scheduler: `${stack}-SchedulerService`, worker: `${stack}-WorkerService`, stackName: stack });

describe("an environment's tasks in the room's cluster", () => {
  it("are found by service group, or by task family when the group is missing, and no one else's", () => {
    const room = new TaskIndex([
      task("ada-w1", { group: "service:dask-ada-WorkerService", startedAt: new Date("2026-12-01T10:00:00Z") }),
      task("bob-s", { group: "service:dask-bob-SchedulerService" }),
      task("ada-s", { group: "service:dask-ada-SchedulerService" }),
      task("ada-w2", { taskDefinitionArn: "arn:aws:ecs:us-west-2:123456789012:task-definition/dask-ada-worker:3", startedAt: new Date("2026-12-01T10:05:00Z") }),
      task("ada-old", { group: "service:dask-ada-WorkerService", lastStatus: "STOPPED", desiredStatus: "STOPPED", stoppedReason: "Scaled in" }),
      task("adam-w", { group: "service:dask-adam-WorkerService" }),
    ]);
    const ada = environmentTasks(room, names("dask-ada"));
    expect(ada.map((t) => t.state.id)).toEqual(["ada-s", "ada-w2", "ada-w1", "ada-old"]);
    expect(ada.map((t) => t.state.role)).toEqual(["scheduler", "worker", "worker", "worker"]);
    expect(environmentTasks(room, names("dask-carol"))).toEqual([]);
  });
});

describe("a task's image pull time", () => {
  it("is pullStoppedAt minus pullStartedAt, and absent when ECS reports neither", () => {
    const pulled = toTaskState(
      { taskArn: "arn:aws:ecs:us-west-2:123456789012:task/c/abc", lastStatus: "RUNNING", pullStartedAt: new Date("2026-12-05T18:00:00Z"), pullStoppedAt: new Date("2026-12-05T18:00:42.5Z") },
      "worker",
    );
    expect(pulled.pullSeconds).toBe(42.5);
    expect(toTaskState({ taskArn: "arn:aws:ecs:us-west-2:123456789012:task/c/def", lastStatus: "PENDING" }, "worker").pullSeconds).toBeUndefined();
  });
});
