import type { TaskState } from "@/lib/providers/contract";
import { isExpectedStop } from "@/lib/status";

// The failure signals the portal already holds, as lines the catalogue reads.

/**
 * A stopped task as one line: ECS's stopCode and stoppedReason, then the essential
 * container's own reason and a non-zero exit code (an out-of-memory kill says so there,
 * under a task reason of "Essential container in task exited"). Null for a stop the portal
 * expects (a teardown, a scale-in) or a task still running.
 */
export function taskStopSignal(task: TaskState): string | null {
  if (task.lastStatus !== "STOPPED" || isExpectedStop(task.stoppedReason)) return null;
  const parts = [task.stopCode, task.stoppedReason, task.containerReason, task.exitCode ? `exit code ${task.exitCode}` : undefined];
  const text = parts.filter(Boolean).join(" — ");
  return text || null;
}
