import type { EnvironmentSnapshot, TaskState } from "@/lib/providers/types";

export type Change =
  | { event: "status"; data: { status: string; reason?: string } }
  | { event: "progress"; data: { done: number; total: number } }
  | { event: "task"; data: TaskState }
  | { event: "scale"; data: { desiredWorkers: number } }
  | { event: "degraded"; data: { message: string | null } };

function taskChanged(a: TaskState, b: TaskState): boolean {
  return (
    a.lastStatus !== b.lastStatus ||
    a.desiredStatus !== b.desiredStatus ||
    a.stoppedReason !== b.stoppedReason ||
    a.startedAt !== b.startedAt
  );
}

/** What an attendee would notice between two snapshots, as stream events. */
export function diffSnapshots(before: EnvironmentSnapshot | null, after: EnvironmentSnapshot): Change[] {
  const changes: Change[] = [];
  if ((before?.degraded ?? null) !== (after.degraded ?? null)) {
    changes.push({ event: "degraded", data: { message: after.degraded ?? null } });
  }
  if (!before || before.status !== after.status || before.reason !== after.reason) {
    changes.push({ event: "status", data: { status: after.status, reason: after.reason } });
  }
  if (!before || before.progress.done !== after.progress.done || before.progress.total !== after.progress.total) {
    changes.push({ event: "progress", data: after.progress });
  }
  if (!before || before.desiredWorkers !== after.desiredWorkers) {
    changes.push({ event: "scale", data: { desiredWorkers: after.desiredWorkers } });
  }
  const previous = new Map((before?.tasks ?? []).map((t) => [t.id, t]));
  for (const task of after.tasks) {
    const old = previous.get(task.id);
    if (!old || taskChanged(old, task)) changes.push({ event: "task", data: task });
  }
  return changes;
}

export function linksChanged(before: EnvironmentSnapshot | null, after: EnvironmentSnapshot): boolean {
  const a = before?.links ?? {};
  const b = after.links;
  return a.dashboard !== b.dashboard || a.notebook !== b.notebook || a.schedulerAddress !== b.schedulerAddress;
}

const SETTLED = new Set(["CREATE_COMPLETE", "UPDATE_COMPLETE", "CREATE_FAILED", "ROLLBACK_COMPLETE", "DELETE_COMPLETE", "DELETE_FAILED", "ROLLBACK_FAILED"]);
const STEADY_TASK = new Set(["RUNNING", "STOPPED"]);

/** True when nothing is expected to change by itself: the poller may slow down. */
export function isSettled(snapshot: EnvironmentSnapshot): boolean {
  return SETTLED.has(snapshot.status) && snapshot.tasks.every((t) => STEADY_TASK.has(t.lastStatus));
}
