// The stack and task vocabulary of the whole portal, in one place. Providers report in
// CloudFormation's stack statuses and ECS's task lastStatus values (the local provider
// too, so attendees learn the words they meet on AWS); every page, stream and command
// asks the predicates below instead of matching strings itself. Safe in the browser.
//
// The statuses are AWS's own: CloudFormation "Stack status codes" and ECS "Task
// lifecycle" (docs/architecture.md lists the sources).

export const stackStatuses = [
  "CREATE_IN_PROGRESS",
  "CREATE_COMPLETE",
  "CREATE_FAILED",
  "ROLLBACK_IN_PROGRESS",
  "ROLLBACK_COMPLETE",
  "ROLLBACK_FAILED",
  "UPDATE_IN_PROGRESS",
  "UPDATE_COMPLETE",
  "DELETE_IN_PROGRESS",
  "DELETE_COMPLETE",
  "DELETE_FAILED",
] as const;
export type StackStatus = (typeof stackStatuses)[number];

/** What the roster shows for an attendee who never deployed. */
export const NO_ENVIRONMENT = "none";
export type EnvironmentState = StackStatus | typeof NO_ENVIRONMENT;

export const taskStatuses = [
  "PROVISIONING",
  "PENDING",
  "ACTIVATING",
  "RUNNING",
  "DEACTIVATING",
  "STOPPING",
  "DEPROVISIONING",
  "STOPPED",
] as const;
export type TaskLastStatus = (typeof taskStatuses)[number];

export function isStackStatus(value: string): value is StackStatus {
  return (stackStatuses as readonly string[]).includes(value);
}

/** CloudFormation is working on the stack: it will change by itself. */
export function isInProgress(status: string): boolean {
  return status.endsWith("_IN_PROGRESS");
}

/** Nothing will change unless someone acts. */
export function isSettled(status: string): boolean {
  return isStackStatus(status) && !isInProgress(status);
}

/**
 * Creating or deleting went wrong and someone must act: a create that failed (or is
 * being rolled back, which only ends in ROLLBACK_COMPLETE or ROLLBACK_FAILED), or a
 * deletion that failed.
 */
export function isFailed(status: string): boolean {
  return (
    status === "CREATE_FAILED" ||
    status === "ROLLBACK_IN_PROGRESS" ||
    status === "ROLLBACK_COMPLETE" ||
    status === "ROLLBACK_FAILED" ||
    status === "DELETE_FAILED"
  );
}

/** An operation finished well: created, or updated (a scale). */
export function isComplete(status: string): boolean {
  return status === "CREATE_COMPLETE" || status === "UPDATE_COMPLETE";
}

/** The cluster is up: the attendee can connect, scale and run the notebook. */
export function isReady(status: string): boolean {
  return status === "CREATE_COMPLETE" || status === "UPDATE_COMPLETE" || status === "UPDATE_IN_PROGRESS";
}

/** Deletion has started (or ended); the environment is on its way out. */
export function isDeleting(status: string): boolean {
  return status === "DELETE_IN_PROGRESS" || status === "DELETE_COMPLETE";
}

/** Gone: nothing of it runs or costs money any more. */
export function isGone(status: string): boolean {
  return status === "DELETE_COMPLETE" || status === NO_ENVIRONMENT;
}

/** Exists in the cloud (or on this machine), whatever its state: it may cost money. */
export function isLive(status: string): boolean {
  return !isGone(status);
}

/** Tear-down can be asked for: it exists and is not already being deleted (a failed deletion may be retried). */
export function isDeletable(status: string): boolean {
  return isLive(status) && status !== "DELETE_IN_PROGRESS";
}

/** Workers can be scaled: the environment exists, has not failed, and is not being torn down. */
export function isScalable(status: string): boolean {
  return isLive(status) && !isDeleting(status) && !isFailed(status);
}

/** A new environment may not be deployed over this one: it must be deleted first. */
export function blocksRedeploy(status: string): boolean {
  return isFailed(status);
}

/** The status comes with a reason worth showing (why it failed, or who is deleting it). */
export function hasReason(status: string): boolean {
  return isFailed(status) || isDeleting(status);
}

export type Tone = "ok" | "warn" | "bad" | "muted";

/** The colour a status is shown in. */
export function stackTone(status: string): Tone {
  if (isFailed(status)) return "bad";
  if (isInProgress(status)) return "warn";
  if (isReady(status)) return "ok";
  return "muted";
}

/** What the status means, in a few plain words next to the platform's own. */
export function stackWords(status: string): string {
  switch (status) {
    case "CREATE_IN_PROGRESS":
      return "being created";
    case "CREATE_COMPLETE":
    case "UPDATE_COMPLETE":
      return "ready";
    case "UPDATE_IN_PROGRESS":
      return "changing";
    case "CREATE_FAILED":
    case "ROLLBACK_IN_PROGRESS":
    case "ROLLBACK_COMPLETE":
    case "ROLLBACK_FAILED":
      return "failed to create";
    case "DELETE_IN_PROGRESS":
      return "being deleted";
    case "DELETE_COMPLETE":
      return "deleted";
    case "DELETE_FAILED":
      return "failed to delete";
    case NO_ENVIRONMENT:
      return "no environment";
    default:
      return status.toLowerCase().replace(/_/g, " ");
  }
}

/** The label of the button that deletes the environment in this state: the attendee's own, or a roster row's. */
export function teardownLabel(status: string, where: "attendee" | "roster" = "attendee"): string {
  if (status === "DELETE_FAILED") return where === "roster" ? "Retry delete" : "Retry the deletion";
  if (where === "roster") return "Tear down";
  return isFailed(status) ? "Delete and start over" : "Tear down environment";
}

// ---- tasks

/** ECS moves a task through these in order; RUNNING and STOPPED are where it rests. */
export function isTaskSteady(status: TaskLastStatus): boolean {
  return status === "RUNNING" || status === "STOPPED";
}

/** Nothing will change by itself: the stack is settled and every task rests in RUNNING or STOPPED. */
export function isQuiet(snapshot: { status: string; tasks: { lastStatus: TaskLastStatus }[] }): boolean {
  return isSettled(snapshot.status) && snapshot.tasks.every((t) => isTaskSteady(t.lastStatus));
}

export function taskTone(status: TaskLastStatus): Tone {
  if (status === "RUNNING") return "ok";
  if (status === "STOPPED") return "muted";
  return "warn";
}

/**
 * Stop reasons that are the portal's or the attendee's own doing (scaling in, tearing
 * down, a failed create cleaning up), not something to show as an error.
 */
export function isExpectedStop(reason: string | undefined): boolean {
  return /^(Scaled in|Torn down|Stack creation failed)/.test(reason ?? "");
}
