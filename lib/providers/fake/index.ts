import { randomBytes } from "node:crypto";
import { isReady, type StackStatus } from "@/lib/status";
import { ActivityListeners } from "../shared/activity";
import { admitOrRefuse, roomCapacity, type CapacitySettings } from "@/lib/providers/local/capacity";
import type { FakeRoomImage } from "./room-image";
import { ProviderError, type CapacityPlanner, type CloudTools, type DashboardAccess, type DeployOptions, type EnvironmentRef, type EnvironmentSnapshot, type EventBatch, type FoundStack, type NotebookRun, type RehearsalTools, type Provider, type ProviderEvent, type ProviderHealth, type TaskRole, type TaskState, type UsageMeter } from "@/lib/providers/contract";

// A provider for tests: nothing runs, and the test plays the platform. deploy, scale and
// destroy start an operation (CREATE/UPDATE/DELETE_IN_PROGRESS, tasks PROVISIONING or
// DEACTIVATING) exactly as the real providers report one; settle() finishes it the way
// Fargate and CloudFormation would. It counts every call, can be taken down (outage),
// and can refuse the next deploy, so the hub, the room and the commands can be tested in
// milliseconds against the same contract the real providers pass
// (lib/providers/contract.ts).

/** Resources of a fake stack, as CloudFormation would list them; progress counts these. */
const RESOURCES = ["LogGroup", "SchedulerService", "WorkerService", "NotebookInstance"];

interface FakeEnvironment {
  ref: EnvironmentRef;
  status: StackStatus;
  reason?: string;
  resourcesDone: number;
  desiredWorkers: number;
  tasks: TaskState[];
  nextTask: number;
  stackEvents: Extract<ProviderEvent, { kind: "stack" }>[];
  logs: Extract<ProviderEvent, { kind: "log" }>[];
  cpuSeconds: number;
}

/** A notebook run as the test plays it: the lines it prints, and how it ends. */
export interface FakeNotebookRun {
  lines: string[];
  result: NotebookRun;
}

export interface FakeOptions {
  maxWorkers?: number;
  defaultWorkers?: number;
  /** Offer listStacks (reconciliation), as the AWS provider does. */
  listsStacks?: boolean;
  /** Offer cloud tools (preflight, the event stack), as the AWS provider does. */
  cloud?: CloudTools;
  /** Offer the room's image (event mode on AWS): deploys then wait for an image. */
  image?: FakeRoomImage;
  /** Offer the dress rehearsal's notebook run, played by the test (FakeNotebookRun). */
  rehearsal?: boolean;
  /** Plan a machine's memory as the local provider does (nothing is measured: the estimate counts). */
  capacity?: Omit<CapacitySettings, "defaultWorkers">;
}

const cpuMeter: UsageMeter = { unit: "cpu-seconds", measure: ({ snapshot }) => snapshot.usage?.cpuSeconds ?? 0, oneOffTask: () => 0 };

export class FakeProvider implements Provider {
  readonly name = "fake" as const;
  readonly description = "A stand-in for tests: nothing runs, and the test plays the platform.";
  readonly usage = cpuMeter;
  readonly maxWorkers: number;
  readonly defaultWorkers: number;
  readonly cloud?: CloudTools;
  readonly listStacks?: () => Promise<FoundStack[]>;
  readonly capacity?: CapacityPlanner;
  readonly image?: FakeRoomImage;
  readonly admitDeploy?: () => Promise<void>;
  readonly rehearsal?: RehearsalTools;
  /** What the next notebook run prints and how it ends (the test plays the notebook). */
  notebookRun: FakeNotebookRun = { lines: [], result: { ok: true, exitCode: 0 } };
  /** The environments notebook runs were asked against. */
  readonly notebookRuns: EnvironmentRef[] = [];
  /** The DaskImage each environment was deployed with (the room's image, when offered). */
  readonly deployedImages = new Map<string, string>();
  /** Calls received, by method. */
  readonly calls: Record<string, number> = {};
  /** Stacks the cloud holds that the portal may not know (for listStacks). */
  readonly foundStacks: FoundStack[] = [];
  released = false;

  private readonly envs = new Map<string, FakeEnvironment>();
  private readonly lost = new Set<string>();
  private readonly activity = new ActivityListeners();
  private outage?: string;
  private refuseNext?: string;
  private deleteFailure?: string;
  private clock = Date.parse("2026-12-01T09:00:00Z");

  /** The fake dashboard has an address of its own that admits anyone: nothing changes in any cloud. */
  readonly dashboardAccess: DashboardAccess = {
    mode: "admit-address",
    admit: async (env) => {
      this.count("admitDashboard");
      const url = (await this.describe(env)).links.dashboard;
      if (!url) throw new ProviderError("not_found", "The dashboard opens once the scheduler is running.");
      return { url, added: false, revoked: 0 };
    },
  };

  constructor(options: FakeOptions = {}) {
    this.maxWorkers = options.maxWorkers ?? 4;
    this.defaultWorkers = Math.min(options.defaultWorkers ?? 2, this.maxWorkers);
    this.cloud = options.cloud;
    if (options.image) {
      const image = options.image;
      this.image = image;
      this.admitDeploy = async () => {
        await image.require();
      };
    }
    if (options.rehearsal) {
      this.rehearsal = {
        runNotebook: async (env, run) => {
          this.count("runNotebook");
          this.reachable();
          this.require(env);
          this.notebookRuns.push(env);
          const { lines, result } = this.notebookRun;
          lines.forEach((text, i) => run.onLog({ at: this.now(), text, key: `notebook:${i}` }));
          return result;
        },
      };
    }
    if (options.capacity) {
      const plan = { ...options.capacity, defaultWorkers: this.defaultWorkers };
      const live = () => [...this.envs.values()].filter((e) => e.status !== "DELETE_COMPLETE" && !e.status.endsWith("FAILED")).map((e) => e.desiredWorkers);
      this.capacity = {
        report: () => roomCapacity(plan, live(), null),
        admit: (workers) => admitOrRefuse(plan, live(), workers, null),
      };
    }
    if (options.listsStacks) {
      this.listStacks = async () => {
        this.count("listStacks");
        this.reachable();
        const live = [...this.envs.values()]
          .filter((e) => e.status !== "DELETE_COMPLETE")
          .map((e) => ({ stackName: e.ref.stackName, attendeeId: e.ref.attendeeId, environmentId: e.ref.id, status: e.status }));
        return [...live, ...this.foundStacks];
      };
    }
  }

  // ---- the contract

  async deploy(env: EnvironmentRef, options: DeployOptions): Promise<void> {
    this.count("deploy");
    this.reachable();
    this.checkWorkers(options.workers);
    if (this.envs.has(env.id)) return;
    if (this.image) this.deployedImages.set(env.id, await this.image.require());
    this.lost.delete(env.id);
    const e: FakeEnvironment = {
      ref: env,
      status: "CREATE_IN_PROGRESS",
      resourcesDone: 0,
      desiredWorkers: options.workers,
      tasks: [],
      nextTask: 1,
      stackEvents: [],
      logs: [],
      cpuSeconds: 0,
    };
    this.envs.set(env.id, e);
    if (this.refuseNext) {
      const reason = this.refuseNext;
      this.refuseNext = undefined;
      e.status = "CREATE_FAILED";
      e.reason = reason;
      throw new ProviderError("bad_request", reason);
    }
    this.stackEvent(e, env.stackName, "CREATE_IN_PROGRESS", "User Initiated");
    this.addTask(e, "scheduler");
    for (let i = 0; i < options.workers; i++) this.addTask(e, "worker");
  }

  async describe(env: EnvironmentRef): Promise<EnvironmentSnapshot> {
    this.count("describe");
    this.reachable();
    const e = this.envs.get(env.id);
    if (!e) {
      if (this.lost.has(env.id)) {
        return { stackName: env.stackName, status: "DELETE_COMPLETE", progress: { done: 0, total: 0 }, tasks: [], desiredWorkers: 0, links: {} };
      }
      throw new ProviderError("not_found", `No stack named ${env.stackName} exists.`);
    }
    const ready = isReady(e.status);
    return {
      stackName: env.stackName,
      status: e.status,
      ...(e.reason ? { reason: e.reason } : {}),
      progress: { done: e.resourcesDone, total: RESOURCES.length },
      tasks: e.tasks.map((t) => ({ ...t })),
      desiredWorkers: e.desiredWorkers,
      links: ready ? { schedulerAddress: `tcp://${env.stackName}.fake.invalid:8786`, dashboard: `http://${env.stackName}.fake.invalid:8787/status`, notebookReady: true } : {},
      usage: { cpuSeconds: e.cpuSeconds },
    };
  }

  async events(env: EnvironmentRef, cursor: string | null): Promise<EventBatch> {
    this.count("events");
    this.reachable();
    const e = this.envs.get(env.id);
    if (!e) return { events: [], cursor };
    const at = cursor ? (JSON.parse(cursor) as { stack: number; logs: number }) : { stack: 0, logs: 0 };
    const events = [...e.stackEvents.slice(at.stack), ...e.logs.slice(at.logs)].sort((a, b) => a.at.localeCompare(b.at));
    return { events, cursor: JSON.stringify({ stack: e.stackEvents.length, logs: e.logs.length }) };
  }

  async scale(env: EnvironmentRef, workers: number): Promise<void> {
    this.count("scale");
    this.reachable();
    this.checkWorkers(workers);
    const e = this.require(env);
    if (!isReady(e.status)) {
      throw new ProviderError("bad_request", "The environment is not ready yet, so the portal cannot scale the workers.");
    }
    e.desiredWorkers = workers;
    e.status = "UPDATE_IN_PROGRESS";
    this.stackEvent(e, "WorkerService", "UPDATE_IN_PROGRESS", `Desired count set to ${workers}`);
    const running = e.tasks.filter((t) => t.role === "worker" && t.desiredStatus === "RUNNING");
    for (let i = running.length; i < workers; i++) this.addTask(e, "worker");
    for (const extra of running.slice(workers)) this.beginStopping(extra);
  }

  async destroy(env: EnvironmentRef, by: string): Promise<void> {
    this.count("destroy");
    this.reachable();
    const e = this.envs.get(env.id);
    if (!e || e.status === "DELETE_COMPLETE") return;
    e.status = "DELETE_IN_PROGRESS";
    e.reason = `User Initiated by ${by}`;
    e.desiredWorkers = 0;
    this.stackEvent(e, env.stackName, "DELETE_IN_PROGRESS", e.reason);
    for (const task of e.tasks) this.beginStopping(task);
  }

  async openNotebook(env: EnvironmentRef): Promise<string> {
    this.count("openNotebook");
    const e = this.require(env);
    if (!isReady(e.status)) {
      throw new ProviderError("not_found", "The notebook is not running yet; wait until the environment is ready.");
    }
    return `https://${env.stackName}.fake.invalid/lab?token=${randomBytes(8).toString("hex")}`;
  }

  async health() {
    this.count("health");
    return this.outage ? { ok: false, message: this.outage } : { ok: true, message: "The fake platform answers." };
  }

  lastKnownHealth(): ProviderHealth {
    return this.outage ? { state: "degraded", message: this.outage } : { state: "ok", message: "The fake platform answers." };
  }

  async adopt(envs: EnvironmentRef[]): Promise<void> {
    this.count("adopt");
    for (const env of envs) if (!this.envs.has(env.id)) this.lost.add(env.id);
  }

  release(): void {
    this.released = true;
  }

  onActivity(env: EnvironmentRef, listener: () => void): () => void {
    return this.activity.add(env.id, listener);
  }

  // ---- the test's side: what the platform would do

  /** Finishes what is in progress: tasks reach RUNNING or STOPPED, the stack its *_COMPLETE. */
  settle(envId?: string): void {
    for (const e of envId ? [this.get(envId)] : this.envs.values()) {
      for (const task of e.tasks) {
        if (task.desiredStatus === "STOPPED" && task.lastStatus !== "STOPPED") this.stopped(task, e.status === "DELETE_IN_PROGRESS" ? "Torn down" : "Scaled in");
        else if (task.desiredStatus === "RUNNING" && task.lastStatus !== "RUNNING") {
          task.lastStatus = "RUNNING";
          task.startedAt = this.now();
          this.log(e.ref.id, task.role === "scheduler" ? "Scheduler at: tcp://10.0.0.1:8786" : `Start worker at: ${task.id}`, task.role, task.id);
        }
      }
      if (e.status === "CREATE_IN_PROGRESS") {
        for (const resource of RESOURCES.slice(e.resourcesDone)) this.stackEvent(e, resource, "CREATE_COMPLETE");
        e.resourcesDone = RESOURCES.length;
        this.finish(e, "CREATE_COMPLETE");
      } else if (e.status === "UPDATE_IN_PROGRESS") {
        this.stackEvent(e, "WorkerService", "UPDATE_COMPLETE");
        this.finish(e, "UPDATE_COMPLETE");
      } else if (e.status === "DELETE_IN_PROGRESS" && this.deleteFailure) {
        e.reason = this.deleteFailure;
        this.deleteFailure = undefined;
        this.stackEvent(e, e.ref.stackName, "DELETE_FAILED", e.reason);
        e.status = "DELETE_FAILED";
      } else if (e.status === "DELETE_IN_PROGRESS") {
        for (const resource of RESOURCES) this.stackEvent(e, resource, "DELETE_COMPLETE");
        e.resourcesDone = RESOURCES.length;
        this.finish(e, "DELETE_COMPLETE");
      }
      this.activity.notify(e.ref.id);
    }
  }

  /** A create that fails at `resource` with the platform's reason (rolled back: nothing keeps running). */
  failCreate(envId: string, resource: string, reason: string): void {
    const e = this.get(envId);
    this.stackEvent(e, resource, "CREATE_FAILED", reason);
    for (const task of e.tasks) if (task.lastStatus !== "STOPPED") this.stopped(task, `Stack creation failed: ${reason}`);
    e.reason = `${resource}: ${reason}`;
    this.finish(e, "ROLLBACK_COMPLETE");
    this.activity.notify(envId);
  }

  /** A line in a task's log (the scheduler's unless a task is named). */
  log(envId: string, text: string, role: TaskRole = "scheduler", taskId?: string): void {
    const e = this.get(envId);
    const task = taskId ?? e.tasks.find((t) => t.role === role && t.lastStatus !== "STOPPED")?.id ?? `${role}-0`;
    e.logs.push({ kind: "log", at: this.now(), task, role, text, key: `${task}:${e.logs.length}` });
    e.cpuSeconds += 0.5;
    this.activity.notify(envId);
  }

  /** A task stops by itself (a crash, a Spot interruption); the service starts a replacement. */
  stopTask(envId: string, taskId: string, reason: string): void {
    const e = this.get(envId);
    const task = e.tasks.find((t) => t.id === taskId);
    if (!task) throw new Error(`no task ${taskId}`);
    this.stopped(task, reason);
    this.addTask(e, task.role);
    this.activity.notify(envId);
  }

  /**
   * The worker service's desired count is set outside the portal (the notebook calling ECS
   * UpdateService with its own role): the service starts or stops tasks to match, and the
   * stack's status does not change.
   */
  setDesiredCountOutside(envId: string, workers: number): void {
    const e = this.get(envId);
    e.desiredWorkers = workers;
    const running = e.tasks.filter((t) => t.role === "worker" && t.desiredStatus === "RUNNING");
    for (let i = running.length; i < workers; i++) this.addTask(e, "worker");
    for (const extra of running.slice(workers)) this.beginStopping(extra);
    this.activity.notify(envId);
  }

  /** The stack is deleted behind the portal's back. */
  vanish(envId: string): void {
    this.envs.delete(envId);
    this.lost.add(envId);
  }

  /** Every call fails as an unreachable backend would, until setOutage(null). */
  setOutage(message: string | null): void {
    this.outage = message ?? undefined;
  }

  /** The environments deployed so far (the dress rehearsal's, whose id the test does not choose). */
  refs(): EnvironmentRef[] {
    return [...this.envs.values()].map((e) => e.ref);
  }

  /** The next stack deletion ends DELETE_FAILED with this reason when it settles. */
  failNextDelete(reason: string): void {
    this.deleteFailure = reason;
  }

  /** The next deploy is refused with this reason (as CloudFormation refuses a bad parameter). */
  refuseNextDeploy(reason: string): void {
    this.refuseNext = reason;
  }

  /** How many times `method` was called. */
  callCount(method: string): number {
    return this.calls[method] ?? 0;
  }

  // ---- inside

  private count(method: string): void {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
  }

  private reachable(): void {
    if (this.outage) throw new ProviderError("unavailable", this.outage);
  }

  private checkWorkers(workers: number): void {
    if (!Number.isInteger(workers) || workers < 0 || workers > this.maxWorkers) {
      throw new ProviderError("bad_request", `Workers must be a whole number from 0 to ${this.maxWorkers}.`);
    }
  }

  private get(envId: string): FakeEnvironment {
    const e = this.envs.get(envId);
    if (!e) throw new Error(`the fake provider has no environment ${envId}`);
    return e;
  }

  private require(env: EnvironmentRef): FakeEnvironment {
    const e = this.envs.get(env.id);
    if (!e) throw new ProviderError("not_found", "Environment not found.");
    return e;
  }

  /** A clock that moves one millisecond per event, so events order the same however fast a test runs. */
  private now(): string {
    this.clock = Math.max(this.clock + 1, Date.now());
    return new Date(this.clock).toISOString();
  }

  private addTask(e: FakeEnvironment, role: TaskRole): void {
    e.tasks.push({ id: `${role}-${e.nextTask++}`, role, lastStatus: "PROVISIONING", desiredStatus: "RUNNING", cpu: 1024, memory: role === "worker" ? 2048 : 1024 });
  }

  private beginStopping(task: TaskState): void {
    task.desiredStatus = "STOPPED";
    if (task.lastStatus !== "STOPPED") task.lastStatus = "DEACTIVATING";
  }

  private stopped(task: TaskState, reason: string): void {
    task.lastStatus = "STOPPED";
    task.desiredStatus = "STOPPED";
    task.stoppedAt = this.now();
    task.stoppedReason = reason;
  }

  private finish(e: FakeEnvironment, status: StackStatus): void {
    e.status = status;
    if (status !== "ROLLBACK_COMPLETE") e.reason = status === "DELETE_COMPLETE" ? e.reason : undefined;
    this.stackEvent(e, e.ref.stackName, status);
  }

  private stackEvent(e: FakeEnvironment, resource: string, status: string, reason?: string): void {
    e.stackEvents.push({ kind: "stack", at: this.now(), resource, status, ...(reason ? { reason } : {}) });
  }
}
