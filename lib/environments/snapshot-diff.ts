import type { EnvironmentSnapshot, TaskState } from "@/lib/providers/contract";
import type { EnvironmentEvents, UnnumberedFrame } from "@/lib/stream/protocol";

function taskChanged(a: TaskState, b: TaskState): boolean {
  return (
    a.lastStatus !== b.lastStatus ||
    a.desiredStatus !== b.desiredStatus ||
    a.stoppedReason !== b.stoppedReason ||
    a.containerReason !== b.containerReason ||
    a.startedAt !== b.startedAt
  );
}

/** What an attendee would notice between two snapshots, as stream frames. */
export function diffSnapshots(before: EnvironmentSnapshot | null, after: EnvironmentSnapshot): UnnumberedFrame<EnvironmentEvents>[] {
  const changes: UnnumberedFrame<EnvironmentEvents>[] = [];
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
  if (JSON.stringify(before?.caps ?? null) !== JSON.stringify(after.caps ?? null)) {
    changes.push({ event: "caps", data: { caps: after.caps ?? null } });
  }
  const previous = new Map((before?.tasks ?? []).map((t) => [t.id, t]));
  for (const task of after.tasks) {
    const old = previous.get(task.id);
    if (!old || taskChanged(old, task)) changes.push({ event: "task", data: task });
  }
  return changes;
}

/** The links changed (a dashboard address, the notebook now answering): pages need a fresh snapshot. */
export function linksChanged(before: EnvironmentSnapshot, after: EnvironmentSnapshot): boolean {
  const a = before.links;
  const b = after.links;
  return a.dashboard !== b.dashboard || a.notebookReady !== b.notebookReady || a.schedulerAddress !== b.schedulerAddress;
}
