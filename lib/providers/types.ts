import type { ProxiedKind } from "@/lib/environments/proxied";
import type { StackStatus, TaskLastStatus } from "@/lib/status";
import type { RoomCapacity } from "./local/capacity";
import type { Isolation } from "./local/isolation";

// The contract between the portal and whatever runs the attendees' Dask environments.
// The UI, the environment watchers, the commands and the runtime speak only this; each provider
// (local, aws, fake) implements it with its own clients, call budget and state. What
// not every backend can do is an optional capability, declared here, which the portal
// offers exactly when the provider has it.

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

/** A server on this machine the portal forwards to: the Unix socket it listens on, and headers to add. */
export interface ProxyTarget {
  socketPath: string;
  headers: Record<string, string>;
}

/** What an environment may use on a shared machine (the local provider's caps), and when it last hit them. */
export interface EnvironmentCaps {
  memoryMiB: number;
  cpus: number;
  /** What the memory cap is made of: each worker's limit, and what the scheduler, JupyterLab and kernels share. */
  workerMemoryMiB: number;
  notebookMemoryMiB: number;
  /** The latest time reaching the memory cap stopped something: a task, or a process JupyterLab started (a kernel). */
  outOfMemory?: { at: string; stopped: "kernel" | "task"; taskId?: string };
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
}
export type UsageUnit = "cpu-seconds" | "usd";

export type HeadroomStatus = "ok" | "warn" | "fail";
export type QuotaSource = "account" | "aws-default" | "assumed" | "unknown";

/** What each preflight line checks. */
export type PreflightKey =
  | "fargate-vcpu"
  | "fargate-spot-vcpu"
  | "notebook-instances"
  | "notebook-instance-type"
  | "vpcs"
  | "elastic-ips"
  | "codebuild-arm-concurrency"
  | "ecs-service-linked-role"
  | "service-quotas-service-linked-role"
  | "cost-allocation-tag"
  | "budget"
  | "access-stack"
  | "room-image"
  | "notebook-commit"
  | "era5-months"
  | "era5-region";

/** The services whose service-linked roles the room needs (created from the preflight page). */
export type LinkedRoleService = "ecs.amazonaws.com" | "servicequotas.amazonaws.com";

/** A fix the facilitator can run from the preflight line itself. */
export type PreflightFixAction =
  | { kind: "create-service-linked-role"; service: LinkedRoleService }
  | { kind: "request-quota-increase"; quotaCode: string; desired: number }
  | { kind: "activate-cost-allocation-tag" };

/** The newest quota increase request for a quota, in Service Quotas' words. */
export interface QuotaRequest {
  id: string;
  /** PENDING, CASE_OPENED, APPROVED, DENIED, CASE_CLOSED, NOT_APPROVED or INVALID_REQUEST. */
  status: string;
  desired: number;
  createdAt?: string;
}

interface PreflightLineBase {
  key: PreflightKey;
  label: string;
  /** ok (green), warn (amber: close to a limit, or could not be checked), fail (red: the room would break). */
  status: HeadroomStatus;
  /** What was found. */
  sentence: string;
  /** Unless ok: one sentence saying how to fix it. */
  fix?: string;
  action?: PreflightFixAction;
  /** "before": days ahead of the event (quotas, roles, billing); "day": on the day itself. */
  stage: "before" | "day";
  /** How many days before the event this must be done, at the latest (docs/aws.md, "Before the event"). */
  daysAhead?: number;
}

/** A quota, what is in use, and what the room needs. */
export interface PreflightQuotaLine extends PreflightLineBase {
  kind: "quota";
  unit: string;
  /** The account's quota, or null when it could not be read and the platform documents no fixed default. */
  quota: number | null;
  quotaSource: QuotaSource;
  /** What is in use now (null: could not be read). */
  inUse: number | null;
  /** What the whole room needs at its default size. */
  needed: number;
  /** In use now plus what the room has yet to start. */
  projected: number;
  /** The newest increase request for this quota, if any was made. */
  request?: QuotaRequest;
}

/** Something the room needs that either is there or is not (a role, a stack, an image, data). */
export interface PreflightCheckLine extends PreflightLineBase {
  kind: "check";
}

/** One line of the facilitator's preflight. */
export type PreflightLine = PreflightQuotaLine | PreflightCheckLine;

export interface PreflightResult {
  mode: "solo" | "event";
  region: string;
  attendees: number;
  /** vCPU one environment takes at its default size: the scheduler plus the default workers. */
  environmentVcpu: { scheduler: number; worker: number; workers: number; total: number };
  /** Where the workers run (the scheduler always runs On-Demand). */
  workerCapacity: "FARGATE" | "FARGATE_SPOT";
  lines: PreflightLine[];
  checkedAt: string;
}

/** The stack the whole room shares (event mode), as the facilitator's page shows it. */
export interface EventStackView {
  mode: "solo" | "event";
  /** The configured event stack; null in solo mode, which has none. */
  stackName: string | null;
  status: StackStatus | "NOT_DEPLOYED";
  /** Why it failed or is being deleted, from the latest stack events, in the platform's words. */
  reason?: string;
  /** The outputs attendee stacks import (VpcId, ClusterName, LogGroup, …), once created. */
  outputs: Record<string, string>;
  updatedAt?: string;
  /** A deploy the portal refused before asking CloudFormation, with the fix (and the button that applies it). */
  refused?: { sentence: string; fix: string; action?: PreflightFixAction };
}

/** The facilitator's tools for the cloud account itself (the AWS provider). */
export interface CloudTools {
  /** The account's headroom for a room of `attendees`: quotas against what is in use and needed. */
  preflight(attendees: number): Promise<PreflightResult>;
  /** Creates a service-linked role the room needs (ECS's, Service Quotas') unless it exists. */
  createServiceLinkedRole(service: LinkedRoleService): Promise<{ roleName: string; created: boolean }>;
  /** Asks Service Quotas to raise one of the room's quotas to `desired`; AWS's refusal comes back in its own words. */
  requestQuotaIncrease(quotaCode: string, desired: number): Promise<QuotaRequest>;
  /** Activates the workshop:event cost allocation tag, so Cost Explorer and the budget can filter by event. */
  activateCostAllocationTag(): Promise<{ tagKey: string; status: string }>;
  eventStack(): Promise<EventStackView>;
  /** Starts creating the event stack unless it exists; the same `requestId` never creates twice. */
  deployEventStack(requestId: string): Promise<EventStackView>;
  /** Starts deleting the event stack; refused while attendee stacks still use it. */
  deleteEventStack(): Promise<EventStackView>;
}

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

/** What a deletion did besides starting (the AWS provider: dashboard addresses removed first). */
export interface DestroyOutcome {
  revokedAddresses: number;
}

// ---- the room's image (event mode: the facilitator builds it in the cloud)

/** A CodeBuild build's status, in CodeBuild's words. */
export type ImageBuildStatus = "IN_PROGRESS" | "SUCCEEDED" | "FAILED" | "FAULT" | "STOPPED" | "TIMED_OUT";

/** One phase of a build (SUBMITTED, QUEUED, PROVISIONING, DOWNLOAD_SOURCE, INSTALL, PRE_BUILD, BUILD, POST_BUILD, …). */
export interface ImageBuildPhase {
  phase: string;
  /** Absent while the phase runs (CodeBuild reports no status until it ends). */
  status?: string;
  startedAt?: string;
  endedAt?: string;
  /** CodeBuild's own words on why the phase failed. */
  message?: string;
}

export interface ImageBuildView {
  id: string;
  status: ImageBuildStatus;
  currentPhase?: string;
  phases: ImageBuildPhase[];
  startedAt?: string;
  endedAt?: string;
  /** The pins hash of the sources this build was given. */
  pins?: string;
  /** The image it makes: <repository uri>:pins-<hash>. */
  image?: string;
  /** The first phase that did not succeed, when the build failed. */
  failedPhase?: ImageBuildPhase;
}

export interface ImageBuildLogLine {
  at: string;
  text: string;
  /** Unique per line, so a line read twice is shown once. */
  key: string;
}

/** The image attendee stacks run, and how it compares with the portal's pins. */
export interface RoomImage {
  /** The image deploys pass as DaskImage; null while there is none. */
  image: string | null;
  /** configured: DASK_IMAGE; built: the newest successful build, found in the repository. */
  source: "configured" | "built" | "none";
  /** The pins hash the image's tag names (null: it names none). */
  imagePins: string | null;
  /** This portal's pins hash (docker/requirements.txt). */
  portalPins: string;
  /** The newest build, whatever its state. */
  latestBuild: ImageBuildView | null;
  /** Whether a build can be started now (the event stack holds the project). */
  canBuild: boolean;
  /** What is missing and what to do, when there is no image or no way to build one. */
  message?: string;
}

/** Starting a build: a request while one runs starts nothing and says so. */
export interface ImageBuildStart {
  started: boolean;
  build: ImageBuildView;
  message: string;
}

/** Building and following the room's image (the AWS provider in event mode: CodeBuild and ECR). */
export interface RoomImageTools {
  current(): Promise<RoomImage>;
  /** Uploads docker/ and starts a build, unless one is in progress. */
  startBuild(): Promise<ImageBuildStart>;
  build(id: string): Promise<ImageBuildView>;
  /** The build's log lines after `cursor`, oldest first. */
  buildLog(id: string, cursor: string | null): Promise<{ lines: ImageBuildLogLine[]; cursor: string | null }>;
}

// ---- the dress rehearsal (lib/rehearsal): the workshop notebook, run headless against one environment

/** What the rehearsal's notebook run reads: one month of ERA5 by default. */
export interface NotebookRunOptions {
  years: number[];
  months: number[];
  /** Each line the run prints, as it comes (the notebook's own output and the runner's). */
  onLog(line: { at: string; text: string; key: string }): void;
  /** Fails the run (and stops what it started) once this long has passed. */
  timeoutMs: number;
}

/** How the run ended, in the platform's words: an ECS task's exit code and stoppedReason, or a process's. */
export interface NotebookRun {
  ok: boolean;
  exitCode: number | null;
  /** Why it stopped, when it did not end well (ECS stoppedReason, a signal, the timeout). */
  stoppedReason?: string;
  /** The task (or process) that ran it, for the rehearsal's cost: size and start/stop times. */
  task?: TaskState;
}

/** Runs the workshop notebook headless against an environment's scheduler (local: papermill from .venv; aws: a one-off ECS task). */
export interface RehearsalTools {
  runNotebook(env: EnvironmentRef, options: NotebookRunOptions): Promise<NotebookRun>;
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
   */
  openNotebook(env: EnvironmentRef, options?: { sessionEndsAt?: Date }): Promise<string>;
  /**
   * For providers whose servers only this machine reaches (local): where the portal forwards
   * a viewer's request for the environment's notebook or dashboard, and the headers to add
   * (the notebook's token, which never reaches the browser). Undefined while the
   * environment has no such server. Providers with servers of their own address (aws) leave it out.
   */
  proxyTarget?(env: EnvironmentRef, kind: ProxiedKind): ProxyTarget | undefined;
  /**
   * For providers whose dashboards are reached at their own address (aws): lets the viewer's
   * address reach this environment's dashboard now and returns where it is. Providers that
   * serve dashboards through the portal (local) leave it out.
   */
  admitDashboard?(env: EnvironmentRef, viewer: DashboardViewer): Promise<DashboardAdmission>;
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
  isolation?(): Promise<Isolation>;
  /** Running the workshop notebook headless against one environment (the dress rehearsal). */
  readonly rehearsal?: RehearsalTools;
}

/** Plans a machine's memory for its environments. */
export interface CapacityPlanner {
  /** The machine, one environment's measured (or estimated) footprint, and how many fit. */
  report(): RoomCapacity;
  /** Throws a ProviderError saying what to do when one more environment would overcommit memory. */
  admit(workers: number): void;
}

// Marks a ProviderError however many copies of this module the server has loaded (Next.js
// compiles instrumentation.ts, which starts the runtime and its provider, apart from the
// routes): `instanceof` would fail across copies, the registered symbol does not.
const providerErrorMark: unique symbol = Symbol.for("dask-workshop.ProviderError");

export class ProviderError extends Error {
  readonly [providerErrorMark] = true;

  constructor(
    readonly code: "bad_request" | "not_found" | "unavailable" | "throttled" | "credentials",
    message: string,
  ) {
    super(message);
  }

  static is(error: unknown): error is ProviderError {
    return typeof error === "object" && error !== null && providerErrorMark in error;
  }
}
