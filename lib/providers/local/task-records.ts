import type { TaskState } from "@/lib/providers/contract";
import type { TaskRecord } from "./state";

// How a local task's record moves through ECS's task statuses.

const now = () => new Date().toISOString();

export function newTask(id: string, role: TaskRecord["role"]): TaskRecord {
  return { id, role, pid: null, lastStatus: "PROVISIONING", desiredStatus: "RUNNING", createdAt: now(), cpuSeconds: 0 };
}

/** The portal wants it gone: it deactivates (or is simply stopped, if it never started). */
export function beginStopping(task: TaskRecord): void {
  task.desiredStatus = "STOPPED";
  if (task.lastStatus !== "STOPPED") task.lastStatus = task.pid === null ? "STOPPED" : "DEACTIVATING";
}

export function markRunning(task: TaskRecord): void {
  task.lastStatus = "RUNNING";
  task.startedAt = now();
}

export function markStopped(task: TaskRecord, reason: string): void {
  if (task.lastStatus === "STOPPED") return;
  task.lastStatus = "STOPPED";
  task.desiredStatus = "STOPPED";
  task.stoppedAt = now();
  task.stoppedReason = reason;
}

/** A task as the portal shows it: one vCPU each; workers have the configured memory, the scheduler 1 GiB. */
export function toTaskState(t: TaskRecord, workerMemoryMiB: number): TaskState {
  return {
    id: t.id,
    role: t.role,
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    startedAt: t.startedAt,
    stoppedAt: t.stoppedAt,
    stoppedReason: t.stoppedReason,
    cpu: 1024,
    memory: t.role === "worker" ? workerMemoryMiB : 1024,
  };
}
