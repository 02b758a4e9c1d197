import type { StackStatus, TaskLastStatus } from "@/lib/status";
import type { CapacityPlanner, IsolationReport } from "./capacity";
import type { CloudTools } from "./cloud";
import type { RoomImageTools } from "./image";
import type { ProxiedKind } from "./proxied";
import type { RehearsalTools } from "./rehearsal";

// The contract between the portal and whatever runs the attendees' Dask environments: the
// core every provider has. The UI, the environment watchers, the commands and the runtime
// speak only the contract (this folder); each provider (local, aws, fake) implements it with
// its own clients, call budget and state. What not every backend can do is an optional
// capability, declared in its own file here (cloud, image, rehearsal, capacity), which the
// portal offers exactly when the provider has it.

export { stackStatuses, taskStatuses } from "@/lib/status";
export type { StackStatus, TaskLastStatus } from "@/lib/status";

export type TaskRole = "scheduler" | "worker";

export interface TaskState {
  /** Task id (ECS task ARN's last part, or `worker-<n>` locally). */
  id: string;
  role: TaskRole;
  lastStatus: TaskLastStatus;
  desiredStatus: "RUNNING" | "STOPPED";
  startedAt?: string;
  stoppedAt?: string;
  stoppedReason?: string;
  /** ECS's stopCode (TaskFailedToStart, EssentialContainerExited, SpotInterruption, …). */
  stopCode?: string;
  /** The essential container's own reason (e.g. "OutOfMemoryError: Container killed due to memory usage"). */
  containerReason?: string;
  /** The essential container's exit code, once it exited. */
  exitCode?: number;
  /** ECS CPU units (1024 = one vCPU). */
  cpu: number;
  /** MiB. */
  memory: number;
  /** How long pulling its image took (ECS pullStartedAt to pullStoppedAt), when the platform reports it. */
  pullSeconds?: number;
}

/**
 * Where an attendee and the facilitator reach the environment. Nothing here is a secret:
 * the notebook's own address (with its token or a presigned URL) is made only when its
 * owner opens it (Provider.openNotebook).
 */
export interface EnvironmentLinks {
  dashboard?: string;
  /** Where a Dask client connects, e.g. tcp://10.0.1.5:8786 (aws) or tls://127.0.0.1:8786 (local, with its certificates). */
  schedulerAddress?: string;
  /** The notebook server answers: "Open the notebook" may be offered. */
  notebookReady?: boolean;
}

/**
 * A server the portal forwards a viewer's requests to, and headers to add on the way (the
 * notebook's token, which never reaches the browser): on this machine through the Unix socket
 * it listens on (local), or at an address the portal reaches over its network (a scheduler's
 * private address inside the event's VPC).
 */
export type ProxyTarget =
  | { via: "socket"; socketPath: string; headers: Record<string, string> }
  | { via: "network"; host: string; port: number; headers: Record<string, string> };

/** What an environment may use on a shared machine (the local provider's caps), and when it last hit them. */
export interface EnvironmentCaps {
  memoryMiB: number;
  cpus: number;
  /** What the memory cap is made of: each worker's limit, and what the scheduler, JupyterLab and kernels share. */
  workerMemoryMiB: number;
  notebookMemoryMiB: number;
  /**
   * The latest time memory stopped something: a task, or a process JupyterLab started (a
   * kernel), for reaching the environment's cap, or (limit "worker") a worker past its own limit.
   */
  outOfMemory?: { at: string; stopped: "kernel" | "task"; taskId?: string; limit?: "worker" };
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
  /** Where the backend caps an environment on a shared machine (the local provider). */
  caps?: EnvironmentCaps;
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

/** How an environment is deployed: how many workers it starts with (each provider checks the range it allows). */
export interface DeployOptions {
  workers: number;
}

// ---- capabilities

/** A stack the provider found in the cloud, tagged as one of this event's attendee stacks. */
export interface FoundStack {
  stackName: string;
  attendeeId: string;
  /** The portal environment that created it, when the portal did. */
  environmentId?: string;
  status: StackStatus;
}

/** How an environment's use is measured and shown: CPU seconds of real processes, or an estimate in dollars. */
export interface UsageMeter {
  readonly unit: UsageUnit;
  /** The environment's use so far, in `unit`, from its latest snapshot. */
  measure(input: { snapshot: EnvironmentSnapshot; createdAt: string; deletedAt: string | null }): number;
  /**
   * What one task run on its own, outside any environment, adds in `unit` (the rehearsal's
   * notebook task on Fargate); 0 where such a task is already counted or costs nothing apart.
   */
  oneOffTask(task: Pick<TaskState, "cpu" | "memory" | "startedAt" | "stoppedAt">): number;
  /** The dated price list behind the figures, where they are estimates from list prices. */
  readonly prices?: string;
}
export type UsageUnit = "cpu-seconds" | "usd";

/** Who opens an environment's dashboard, as the portal saw them. */
export interface DashboardViewer {
  /** The browser's address as the portal sees it (lib/auth/client-address.ts). */
  address: string;
  /** Names the viewer in what the cloud records (the rule's description): role and email. */
  who: string;
}

/** The outcome of letting a viewer reach a dashboard: where it is, and what changed in the cloud. */
export interface DashboardAdmission {
  url: string;
  /** A rule for the viewer's address was added now (false: it was there, or the stack admits by its own parameter). */
  added: boolean;
  /** Older addresses removed to stay within the bound. */
  revoked: number;
  /** The address as admitted (a /32), and where. */
  cidr?: string;
  groupId?: string;
}

/**
 * How a viewer reaches an environment's dashboard; a provider offers exactly one way.
 * - proxied: through the portal's content origin (lib/content), which forwards each request
 *   to `target` after a one-time ticket hand-off, so only the portal needs a way in (the local
 *   provider's sockets; AWS schedulers' private addresses when the portal runs in the VPC).
 *   `target` also answers for a proxied notebook, where the provider serves one that way.
 * - admit-address: the dashboard has an address of its own, and `admit` lets the viewer's
 *   address reach it before the browser goes there (AWS, with the portal outside the VPC).
 */
export type DashboardAccess =
  | {
      readonly mode: "proxied";
      /** Where the viewer's request goes now; undefined while the environment has no such server. */
      target(env: EnvironmentRef, kind: ProxiedKind): ProxyTarget | undefined;
    }
  | {
      readonly mode: "admit-address";
      /** Lets the viewer's address reach this environment's dashboard now and says where it is. */
      admit(env: EnvironmentRef, viewer: DashboardViewer): Promise<DashboardAdmission>;
    };
export type DashboardAccessMode = DashboardAccess["mode"];
export type ProxiedAccess = Extract<DashboardAccess, { mode: "proxied" }>;

/** What a deletion did besides starting (the AWS provider: dashboard addresses removed first). */
export interface DestroyOutcome {
  revokedAddresses: number;
}

/** The provider's backend as the provider last saw it. */
export interface ProviderHealth {
  /** ok: it answered; degraded: it did not (unreachable, refused credentials, throttling); unknown: not asked yet. */
  state: "ok" | "degraded" | "unknown";
  /** For the facilitator and the server's log: it may name an endpoint, an account or a role, so never for anyone else. */
  message: string;
  /** When that was seen (ISO), where the provider keeps it. */
  at?: string;
}

export interface Provider {
  readonly name: "local" | "aws" | "fake";
  /** One sentence for the attendee: what deploying creates, and where. */
  readonly description: string;
  readonly maxWorkers: number;
  readonly defaultWorkers: number;
  readonly usage: UsageMeter;

  /** Starts creating the environment and returns once creation is under way. A repeat is harmless. */
  deploy(env: EnvironmentRef, options: DeployOptions): Promise<void>;
  /**
   * The environment now. One never deployed nor adopted fails with not_found; one whose
   * backend is gone (deleted outside the portal, or lost with the machine) reads DELETE_COMPLETE.
   */
  describe(env: EnvironmentRef): Promise<EnvironmentSnapshot>;
  /** Stack events and log lines that arrived after `cursor`, oldest first, each once. */
  events(env: EnvironmentRef, cursor: string | null): Promise<EventBatch>;
  scale(env: EnvironmentRef, workers: number): Promise<void>;
  /** Starts deletion; describe() then reports DELETE_IN_PROGRESS → DELETE_COMPLETE. `by` names who asked. */
  destroy(env: EnvironmentRef, by: string): Promise<DestroyOutcome | void>;
  /**
   * An address that opens the environment's notebook for its owner, made now: it may carry
   * a token or expire within minutes, so it is never stored, streamed or logged. A session it
   * opens lasts until `sessionEndsAt` (the event's end) where the platform lets the portal say.
   * A path under the environment's proxied notebook base (proxiedBase) is served on the content
   * origin, through the proxied dashboard access's `target`.
   */
  openNotebook(env: EnvironmentRef, options?: { sessionEndsAt?: Date }): Promise<string>;
  /** How a viewer reaches the environment's dashboard: through the portal, or at an address admitted for them. */
  readonly dashboardAccess: DashboardAccess;
  /** Asks the backend now whether it answers (credentials, endpoint, Python env): the lab's "tools ready" check. */
  health(): Promise<{ ok: boolean; message: string }>;
  /**
   * Whether the backend answered the last time the provider asked, from what it already
   * holds: never a call of its own, so /api/health and /environment cost the backend
   * nothing however often, and by whomever, they are loaded.
   */
  lastKnownHealth(): ProviderHealth;
  /** At start-up: every environment the store believes is alive. */
  adopt(envs: EnvironmentRef[]): Promise<void>;
  /** At shutdown: stop watching without touching what runs, so the next start adopts it. */
  release(): void;

  /**
   * Tells a stream when its environment has news before its next poll is due (a file
   * written locally; in event mode the room's one log cursor read its lines).
   */
  onActivity?(env: EnvironmentRef, listener: () => void): () => void;
  /** The event's stacks as the cloud sees them, so the store can be reconciled with them. */
  listStacks?(): Promise<FoundStack[]>;
  /** The facilitator's account tools (preflight, the event stack). */
  readonly cloud?: CloudTools;
  /** Building the room's image in the cloud (event mode); the local provider runs the .venv instead. */
  readonly image?: RoomImageTools;
  /**
   * Throws a ProviderError saying what to do when a deploy cannot start now for a reason
   * of the provider's own (the AWS provider: no image for the room yet). Asked before the
   * environment is made.
   */
  admitDeploy?(): Promise<void>;
  /** How many environments this machine holds (the local provider: they share its memory). */
  readonly capacity?: CapacityPlanner;
  /** How environments on this machine are kept apart, and whether deploys are refused for it (the local provider). */
  isolation?(): Promise<IsolationReport>;
  /** Running the workshop notebook headless against one environment (the dress rehearsal). */
  readonly rehearsal?: RehearsalTools;
}
