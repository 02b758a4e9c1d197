import { z } from "zod";

// The portal speaks CloudFormation and ECS vocabulary everywhere, so the words an
// attendee learns on the local provider are the ones they meet on AWS.

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
export type TaskRole = "scheduler" | "worker";

export interface TaskState {
  /** Task id (ECS task ARN's last part, or `local-<role>-<n>`). */
  id: string;
  role: TaskRole;
  lastStatus: TaskLastStatus;
  desiredStatus: "RUNNING" | "STOPPED";
  startedAt?: string;
  stoppedAt?: string;
  stoppedReason?: string;
  /** ECS CPU units (1024 = one vCPU). */
  cpu: number;
  /** MiB. */
  memory: number;
}

export interface EnvironmentLinks {
  dashboard?: string;
  notebook?: string;
  /** Where a Dask client connects, e.g. tcp://127.0.0.1:8786. */
  schedulerAddress?: string;
}

export interface EnvironmentSnapshot {
  stackName: string;
  status: StackStatus;
  /** Why the stack failed or is being deleted, in the platform's own words. */
  reason?: string;
  progress: { done: number; total: number };
  tasks: TaskState[];
  desiredWorkers: number;
  links: EnvironmentLinks;
  /** Set while the provider cannot reach its backend; the snapshot is the last known one. */
  degraded?: string;
  /** Measured use where the backend can measure it (the local provider: CPU seconds of its processes). */
  usage?: { cpuSeconds: number };
}

export type ProviderEvent =
  | { kind: "stack"; at: string; resource: string; status: string; reason?: string }
  | { kind: "log"; at: string; task: string; role: TaskRole; text: string; key: string };

export interface EventBatch {
  events: ProviderEvent[];
  /** Opaque; hand it back to get only what came after. */
  cursor: string | null;
}

/** What the portal knows about an environment when it asks the provider. */
export interface EnvironmentRef {
  id: string;
  stackName: string;
  attendeeId: string;
  attendeeEmail: string;
}

export const deployOptionsSchema = z.object({
  workers: z.number().int().min(0),
});
export type DeployOptions = z.infer<typeof deployOptionsSchema>;

export interface Provider {
  readonly name: "local" | "aws";
  readonly maxWorkers: number;
  readonly defaultWorkers: number;
  /** Starts creating the environment and returns once creation is under way. */
  deploy(env: EnvironmentRef, options: DeployOptions): Promise<void>;
  describe(env: EnvironmentRef): Promise<EnvironmentSnapshot>;
  /** Stack events and log lines that arrived after `cursor`, oldest first, each once. */
  events(env: EnvironmentRef, cursor: string | null): Promise<EventBatch>;
  scale(env: EnvironmentRef, workers: number): Promise<void>;
  /** Starts deletion; describe() then reports DELETE_IN_PROGRESS → DELETE_COMPLETE. `by` names who asked. */
  destroy(env: EnvironmentRef, by?: string): Promise<void>;
  links(env: EnvironmentRef): Promise<EnvironmentLinks>;
  /** Whether the backend answers (credentials, endpoint); shown on /api/health and /environment. */
  health?(): Promise<{ ok: boolean; message: string }>;
  /**
   * Tells the stream when an environment has news before its next poll is due (the AWS
   * provider in event mode reads the whole room's logs at once and knows whose lines came).
   */
  onActivity?(env: EnvironmentRef, listener: () => void): () => void;
  /** Called once at start-up with every environment the store believes is alive. */
  adopt?(envs: EnvironmentRef[]): Promise<void>;
}

export class ProviderError extends Error {
  constructor(
    readonly code: "bad_request" | "not_found" | "unavailable" | "throttled" | "credentials",
    message: string,
  ) {
    super(message);
  }
}
