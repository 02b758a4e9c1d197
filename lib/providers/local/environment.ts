import "server-only";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { LocalConfig } from "@/lib/config";
import { proxiedBase, type ProxiedKind, type EnvironmentCaps, type EnvironmentSnapshot, type ProxyTarget } from "@/lib/providers/contract";
import { Poller } from "@/lib/poller";
import { isComplete, isDeleting, isReady } from "@/lib/status";
import { applyCaps, createGroup, groupOf, oomKills, removeGroup, type Caps } from "./caps";
import type { Machine } from "./capacity";
import type { Isolation } from "./isolation";
import {
  closedCleanly,
  dashboardSocket,
  environmentCommand,
  launchHolder,
  launchNotebook,
  launchZygote,
  logFile,
  notebookEnv,
  notebookSocket,
  plantRequest,
  pythonEnvReady,
  raiseNotebook,
  schedulerAddress,
  taskRequest,
  type EnvironmentContext,
} from "./launch";
import { createNamespace, deleteNamespace, egressAlive, namespaceExists, namespaceName, startEgress } from "./network";
import { cpuSecondsOf, describeExit, freePort, isAlive, markersOf, privateMiBOf, signalGroup, stopGroup, type ChildEnv } from "./processes";
import { appendPlainFile, boxDir } from "./box";
import { jupyterAnswers, registeredWorkers, schedulerAnswers } from "./scheduler-api";
import { createTlsFiles } from "./tls";
import { loadState, RESOURCES, saveState, type EnvironmentIsolation, type LocalState, type TaskRecord } from "./state";
import { beginStopping, markRunning, markStopped, newTask, toTaskState } from "./task-records";
import { roomSeed, seedUsable, waitForHolder } from "./seed";
import { hostPidOf, readExit, requestTask, zygoteSocket } from "./zygote";

/** The portal's local settings (lib/config.ts) and where this provider keeps its environments. */
export interface LocalSettings extends LocalConfig {
  /** Where each environment keeps its state, logs and notebook copy. */
  rootDir: string;
  /** Marks our processes, so two portals on one machine never adopt each other's. */
  owner: string;
  /** The workshop's notebooks, copied for each attendee. */
  notebooksDir: string;
  /** The folder holding the scheduler's progress plugin (docker/workshop_progress.py). */
  pluginDir: string;
  /** The folder holding the scheduler's dashboard-socket preload (python/portal_dashboard_socket.py). */
  localPythonDir: string;
  /** The folder sandboxes' /etc is made of (minimal-etc.ts). */
  etcDir: string;
  /** Where environments' Unix sockets go: short, as a socket's path holds at most 107 bytes. */
  socketRoot: string;
  /** The machine's cores and memory for capacity planning (tests give their own). */
  machine?: Machine;
}

/** Fargate's words for a container killed at its memory limit (the ECS stopped-task reason). */
export const OUT_OF_MEMORY_REASON = "OutOfMemoryError: Container killed due to memory usage";

/** Supervision pace: quick while something is starting or stopping, slower once settled. */
const TICK_MS = { busy: 100, settled: 500 };
/** After the memory cap is reached, how long a task has to show it was the one stopped before a kernel is named. */
const OOM_ATTRIBUTION_MS = 3_000;
/** How long a task gone without its exit written down is waited for: the zygote writes it once it has collected the task. */
const EXIT_REPORT_MS = 2_000;
const now = () => new Date().toISOString();

async function freePorts(): Promise<LocalState["ports"]> {
  const [scheduler, dashboard] = await Promise.all([freePort(), freePort()]);
  return { scheduler, dashboard };
}

/** What one environment may use: its workers' memory limits plus the notebook's share, and the configured CPUs. */
export function capsFor(settings: Pick<LocalSettings, "workerMemoryMiB" | "notebookMemoryMiB" | "cpus">, workers: number): Caps {
  return { memoryMiB: workers * settings.workerMemoryMiB + settings.notebookMemoryMiB, cpus: settings.cpus };
}

/**
 * One attendee's local Dask environment: a `dask scheduler`, N `dask worker`s and a
 * JupyterLab, supervised the way an ECS service supervises its tasks.
 */
export class LocalEnvironment {
  /** Supervision: one reconcile step at a time, quick while something is starting or stopping. */
  private readonly supervision = new Poller({
    round: () => this.reconcile(),
    next: () => (this.busy() ? TICK_MS.busy : TICK_MS.settled),
    onError: (err) => console.error(`local environment ${this.state.envId}: supervision step failed:`, (err as Error).message),
  });
  /** The room's seed planting the zygote (seed.ts), while it does. */
  private planting?: Promise<void>;
  /** Tasks the zygote has been asked for and has not yet answered. */
  private readonly launching = new Set<string>();
  /** When a task was first seen gone with no exit written down yet. */
  private readonly goneSince = new Map<string, number>();
  private createDeadline = 0;

  private constructor(
    readonly dir: string,
    private state: LocalState,
    private readonly settings: LocalSettings,
    private readonly isolation: Isolation,
  ) {}

  /** When the group's OOM count last rose, until what was stopped has been named. */
  private oomSince?: number;

  static async create(settings: LocalSettings, isolation: Isolation, envId: string, stackName: string, workers: number): Promise<LocalEnvironment> {
    const dir = path.join(settings.rootDir, envId);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const socketDir = path.join(settings.socketRoot, envId);
    fs.mkdirSync(settings.socketRoot, { recursive: true, mode: 0o700 });
    fs.mkdirSync(socketDir, { recursive: true, mode: 0o700 });
    const state: LocalState = {
      envId,
      stackName,
      status: "CREATE_IN_PROGRESS",
      createdAt: now(),
      desiredWorkers: workers,
      nextWorker: 1,
      ports: await freePorts(),
      notebookToken: randomBytes(24).toString("hex"),
      notebook: { pid: null, ready: false },
      resourcesDone: [],
      tasks: [],
      zygote: { pid: null },
      boxed: true,
      isolation: {
        sandboxed: isolation.mode === "sandbox",
        namespace: isolation.network ? namespaceName(settings.owner, envId) : null,
        egressPid: null,
        socketDir,
        group: null,
        caps: null,
        oomKills: 0,
      },
    };
    const env = new LocalEnvironment(dir, state, settings, isolation);
    env.stackEvent(stackName, "CREATE_IN_PROGRESS", "User Initiated");
    env.save();
    env.createDeadline = Date.now() + settings.createTimeoutMs;
    try {
      fs.mkdirSync(env.box, { recursive: true, mode: 0o700 });
      await createTlsFiles(env.box, envId);
      await env.isolate();
    } catch (err) {
      env.fail("LogGroup", (err as Error).message);
      return env;
    }
    env.begin();
    return env;
  }

  /** Its network namespace (with egress) and its control group, before any of its processes starts. */
  private async isolate(): Promise<void> {
    const own = this.state.isolation;
    const { network, caps } = this.isolation;
    if (own.namespace && network) {
      try {
        await createNamespace(network, own.namespace, this.settings.egress);
      } catch (err) {
        throw new Error(`Could not make the environment's network namespace: ${String((err as { stderr?: string }).stderr ?? (err as Error).message).trim()}`);
      }
      if (this.settings.egress === "public") {
        try {
          await this.startEgress();
        } catch (err) {
          throw new Error(`Could not give the environment's network its way out (slirp4netns): ${(err as Error).message}`);
        }
      }
    }
    if (caps) {
      const wanted = capsFor(this.settings, this.state.desiredWorkers);
      // Recorded first, so a group made only in part is removed with the rest.
      own.group = groupOf(caps, this.state.envId);
      try {
        createGroup(caps, this.state.envId, wanted);
      } catch (err) {
        throw new Error(`Could not cap the environment's memory and CPU (${caps.mode}): ${(err as Error).message}`);
      }
      own.caps = wanted;
    }
    this.save();
  }

  private async startEgress(): Promise<void> {
    const own = this.state.isolation;
    if (!own.namespace || !this.isolation.network) return;
    own.egressPid = await startEgress(this.isolation.network, own.namespace, { envId: this.state.envId, owner: this.settings.owner }, path.join(this.dir, "network.log"));
  }

  /** Picks up an environment from a previous portal run: live processes are kept, dead ones reported. */
  static adopt(settings: LocalSettings, isolation: Isolation, envId: string): LocalEnvironment | null {
    const dir = path.join(settings.rootDir, envId);
    const state = loadState(dir);
    if (!state) return null;
    const env = new LocalEnvironment(dir, state, settings, isolation);
    const ours = (pid: number | null) => pid !== null && isAlive(pid) && markersOf(pid).envId === envId;
    for (const task of state.tasks) {
      if (task.lastStatus === "STOPPED") continue;
      if (!ours(task.pid)) markStopped(task, "Task stopped while the portal was not running");
    }
    if (state.notebook.pid !== null && !ours(state.notebook.pid)) state.notebook = { pid: null, ready: false };
    if (state.zygote.pid !== null && !ours(state.zygote.pid)) state.zygote = { pid: null };
    if (state.status === "CREATE_IN_PROGRESS") env.createDeadline = Date.now() + settings.createTimeoutMs;
    const own = state.isolation;
    if (!egressAlive(own.egressPid, envId)) own.egressPid = null;
    env.save();
    if (state.status === "DELETE_IN_PROGRESS") void env.destroy("the portal, finishing a deletion after a restart");
    else if (state.status !== "DELETE_COMPLETE") {
      // Egress that stopped while the portal was away comes back; a namespace lost with a reboot does not.
      if (own.namespace && own.egressPid === null && settings.egress === "public" && namespaceExists(own.namespace)) {
        void env.startEgress().then(
          () => env.save(),
          (err: Error) => console.error(`local environment ${envId}: could not restart its egress:`, err.message),
        );
      }
      env.supervision.wake();
    }
    return env;
  }

  get id(): string {
    return this.state.envId;
  }

  /** What its processes are started with (launch.ts). */
  private get context(): EnvironmentContext {
    return { settings: this.settings, isolation: this.isolation, box: this.box, state: this.state };
  }

  /** Process ids this environment owns, for the orphan sweep. */
  ownedPids(): Set<number> {
    const pids = this.state.tasks.filter((t) => t.lastStatus !== "STOPPED" && t.pid).map((t) => t.pid!);
    if (this.state.notebook.pid) pids.push(this.state.notebook.pid);
    if (this.state.zygote.pid) pids.push(this.state.zygote.pid);
    if (this.state.zygote.planted) pids.push(this.state.zygote.planted);
    if (this.state.isolation.egressPid) pids.push(this.state.isolation.egressPid);
    return new Set(pids);
  }

  /** What the environment records of its isolation (its namespace and group: the orphan sweep keeps them). */
  get recordedIsolation(): EnvironmentIsolation {
    return this.state.isolation;
  }

  snapshot(): EnvironmentSnapshot {
    const s = this.state;
    const links = isReady(s.status)
      ? { schedulerAddress: schedulerAddress(s), dashboard: `${proxiedBase(s.envId, "dashboard")}/status`, notebookReady: s.notebook.ready }
      : {};
    return {
      stackName: s.stackName,
      status: s.status,
      reason: s.reason,
      progress: { done: RESOURCES.filter((r) => s.resourcesDone.includes(r)).length, total: RESOURCES.length },
      tasks: s.tasks.map((t) => toTaskState(t, this.settings.workerMemoryMiB)),
      desiredWorkers: s.desiredWorkers,
      links,
      usage: { cpuSeconds: Math.round(s.tasks.reduce((sum, t) => sum + t.cpuSeconds, 0) * 100) / 100 },
      ...(s.isolation.caps ? { caps: this.caps(s.isolation.caps) } : {}),
    };
  }

  private caps(applied: Caps): EnvironmentCaps {
    const { outOfMemory } = this.state.isolation;
    return {
      memoryMiB: applied.memoryMiB,
      cpus: applied.cpus,
      workerMemoryMiB: this.settings.workerMemoryMiB,
      notebookMemoryMiB: this.settings.notebookMemoryMiB,
      ...(outOfMemory ? { outOfMemory } : {}),
    };
  }

  /** The workshop notebook in JupyterLab, through the portal; undefined until JupyterLab answers. */
  notebookAddress(): string | undefined {
    return this.state.notebook.ready ? `${proxiedBase(this.state.envId, "notebook")}/lab/tree/era5-analysis.ipynb` : undefined;
  }

  /** Where the portal forwards the notebook's or dashboard's requests (their Unix sockets); the notebook's token goes with each. */
  proxyTarget(kind: ProxiedKind): ProxyTarget | undefined {
    const { status, notebookToken } = this.state;
    if (status === "DELETE_IN_PROGRESS" || status === "DELETE_COMPLETE") return undefined;
    return kind === "notebook"
      ? { via: "socket", socketPath: notebookSocket(this.state), headers: { Authorization: `token ${notebookToken}` } }
      : { via: "socket", socketPath: dashboardSocket(this.state), headers: {} };
  }

  /** The folder its sandbox may write (box.ts): its logs, home, notebooks and scratch space. */
  get box(): string {
    return boxDir(this.dir, this.state.boxed);
  }

  logFile(taskId: string): string {
    return logFile(this.box, taskId);
  }

  /**
   * How to run a command as this environment's kernels run: in its group, its network
   * namespace and its sandbox, with what JupyterLab gives its kernels (the dress rehearsal's
   * papermill, and the tests that act as an attendee's code).
   */
  asKernel(command: string, args: string[], cwd = this.box): { command: string; args: string[]; env: ChildEnv } {
    return {
      ...environmentCommand(this.context, command, args, cwd),
      env: notebookEnv(this.settings, this.box, this.state),
    };
  }

  get stackEventsFile(): string {
    return path.join(this.dir, "stack-events.jsonl");
  }

  taskRoles(): Map<string, TaskRecord["role"]> {
    return new Map(this.state.tasks.map((t) => [t.id, t.role]));
  }

  scale(workers: number): void {
    if (this.state.status === "DELETE_COMPLETE" || this.state.status === "DELETE_IN_PROGRESS") {
      throw new Error("The environment is being deleted; deploy a new one first.");
    }
    this.state.desiredWorkers = workers;
    if (isComplete(this.state.status)) {
      this.state.status = "UPDATE_IN_PROGRESS";
      this.stackEvent(this.state.stackName, "UPDATE_IN_PROGRESS", `Worker service desired count set to ${workers}`);
      this.stackEvent("WorkerService", "UPDATE_IN_PROGRESS");
    }
    this.save();
    this.supervision.wake();
  }

  async destroy(by: string): Promise<void> {
    if (this.state.status === "DELETE_COMPLETE") return;
    this.supervision.stop();
    this.state.status = "DELETE_IN_PROGRESS";
    this.state.reason = undefined;
    this.state.desiredWorkers = 0;
    this.stackEvent(this.state.stackName, "DELETE_IN_PROGRESS", `User Initiated by ${by}`);
    this.save();
    const reason = `Torn down: environment deleted by ${by}`;
    const live = this.state.tasks.filter((t) => t.lastStatus !== "STOPPED");
    for (const task of live) beginStopping(task);
    this.save();
    const workers = live.filter((t) => t.role === "worker");
    const scheduler = live.filter((t) => t.role === "scheduler");
    await Promise.all([...workers.map((t) => this.stopTask(t, reason)), this.stopNotebook()]);
    this.stackEvent("WorkerService", "DELETE_COMPLETE");
    this.stackEvent("NotebookInstance", "DELETE_COMPLETE");
    await Promise.all(scheduler.map((t) => this.stopTask(t, reason)));
    this.stopZygote();
    this.stackEvent("SchedulerService", "DELETE_COMPLETE");
    await this.releaseIsolation();
    this.state.resourcesDone = [];
    this.state.status = "DELETE_COMPLETE";
    this.stackEvent(this.state.stackName, "DELETE_COMPLETE");
    this.save();
  }

  /** Its egress, namespace, group and sockets go once nothing of it runs. */
  private async releaseIsolation(): Promise<void> {
    const own = this.state.isolation;
    if (own.egressPid !== null && egressAlive(own.egressPid, this.state.envId)) await stopGroup(own.egressPid, this.settings.graceMs);
    own.egressPid = null;
    if (own.namespace && this.isolation.network) await deleteNamespace(this.isolation.network, own.namespace);
    // A group empties a moment after its last process is reaped.
    for (let attempt = 0; own.group && attempt < 20 && !removeGroup(own.group); attempt++) await new Promise((r) => setTimeout(r, 100));
    fs.rmSync(own.socketDir, { recursive: true, force: true });
    // The portal's socket folder goes with its last environment (a later deploy makes it again).
    fs.rmdir(path.dirname(own.socketDir), () => undefined);
  }

  /** Stops supervising without touching the processes: a later portal run adopts them. */
  release(): void {
    this.supervision.stop();
  }

  // ---- supervision

  private begin(): void {
    if (!pythonEnvReady(this.settings)) {
      this.fail(
        "LogGroup",
        `Python environment not found at ${this.settings.pythonEnv}. Run \`make pyenv\` (or \`make start\`) to create it from docker/requirements.txt, then deploy again.`,
      );
      return;
    }
    this.resourceDone("LogGroup");
    this.stackEvent("SchedulerService", "CREATE_IN_PROGRESS");
    this.stackEvent("WorkerService", "CREATE_IN_PROGRESS");
    this.stackEvent("NotebookInstance", "CREATE_IN_PROGRESS");
    this.supervision.wake();
  }

  /** Something is on its way up (or out) that the next step should notice soon. */
  private busy(): boolean {
    const s = this.state;
    const notebookStarting = !s.notebook.ready && Date.now() < this.createDeadline;
    return !isComplete(s.status) || notebookStarting || s.tasks.some((t) => t.lastStatus !== "RUNNING" && t.lastStatus !== "STOPPED");
  }

  /** One supervision step: notice exits, start what is missing, promote what is ready. */
  private async reconcile(): Promise<void> {
    const s = this.state;
    if (s.status === "DELETE_IN_PROGRESS" || s.status === "DELETE_COMPLETE") return;
    this.sampleCpu();
    let changed = this.enforceMemory();
    changed = this.noticeOutOfMemory() || changed;
    changed = this.noticeExits() || changed;
    changed = this.attributeOutOfMemory() || changed;
    if (s.status === "CREATE_FAILED") return;
    changed = this.keepCaps() || changed;

    const active = (role: TaskRecord["role"]) =>
      s.tasks.filter((t) => t.role === role && t.desiredStatus === "RUNNING" && t.lastStatus !== "STOPPED");

    // The scheduler service keeps exactly one task, as ECS would.
    if (active("scheduler").length === 0) {
      this.addTask("scheduler");
      changed = true;
    }
    const workers = active("worker");
    for (let i = workers.length; i < s.desiredWorkers; i++) {
      this.addTask("worker");
      changed = true;
    }
    for (const extra of workers.slice(s.desiredWorkers).reverse()) {
      beginStopping(extra);
      void this.stopTask(extra, `Scaled in: worker service desired count set to ${s.desiredWorkers}`).then(() => this.save());
      changed = true;
    }

    for (const task of s.tasks) {
      if (task.lastStatus === "PROVISIONING") {
        changed = this.launch(task) || changed;
      }
    }
    changed = (await this.promoteReady()) || changed;
    // A round outlives stop() while it waits on a socket: a teardown (or a failure) that came
    // meanwhile has stopped JupyterLab, and it must not be started again behind its back.
    if (this.winding) return;
    changed = (await this.superviseNotebook()) || changed;
    changed = this.settleStack() || changed;
    if (changed) this.save();
  }

  /** Keeps each task's CPU time current while it runs; the last sample stays once it stops. */
  private sampleCpu(): void {
    for (const task of this.state.tasks) {
      if (task.pid === null || task.lastStatus === "STOPPED") continue;
      const seconds = cpuSecondsOf(task.pid);
      if (seconds !== null && seconds > task.cpuSeconds) task.cpuSeconds = seconds;
    }
  }

  /**
   * A worker's memory is a hard limit, as a Fargate task's is: one whose processes hold more
   * is killed at once and stopped with ECS's out-of-memory reason; the service replaces it.
   */
  private enforceMemory(): boolean {
    let changed = false;
    for (const task of this.state.tasks) {
      if (task.role !== "worker" || task.pid === null || task.lastStatus === "STOPPED" || task.desiredStatus === "STOPPED") continue;
      const mib = privateMiBOf(task.pid);
      if (mib === null || mib <= this.settings.workerMemoryMiB) continue;
      signalGroup(task.pid, "SIGKILL");
      markStopped(task, OUT_OF_MEMORY_REASON);
      // The attendee's page says so, as it does when the environment's cap stopped a task.
      this.state.isolation.outOfMemory = { at: now(), stopped: "task", taskId: task.id, limit: "worker" };
      changed = true;
    }
    return changed;
  }

  /** The group's OOM count rose: something of the environment was stopped for reaching its memory cap. */
  private noticeOutOfMemory(): boolean {
    const own = this.state.isolation;
    const kills = own.group ? oomKills(own.group) : null;
    if (kills === null || kills <= own.oomKills) return false;
    own.oomKills = kills;
    this.oomSince ??= Date.now();
    return true;
  }

  /** No task went with the cap within a moment: what was stopped ran under JupyterLab (a kernel, or what it started). */
  private attributeOutOfMemory(): boolean {
    if (this.oomSince === undefined || Date.now() - this.oomSince < OOM_ATTRIBUTION_MS) return false;
    this.oomSince = undefined;
    this.state.isolation.outOfMemory = { at: now(), stopped: "kernel" };
    return true;
  }

  /** Caps follow the worker count: raised before new workers start, lowered once the kernel lets them be. */
  private keepCaps(): boolean {
    const own = this.state.isolation;
    if (!own.group || !own.caps) return false;
    const wanted = capsFor(this.settings, this.state.desiredWorkers);
    if (wanted.memoryMiB === own.caps.memoryMiB && wanted.cpus === own.caps.cpus) return false;
    if (!applyCaps(own.group, wanted)) return false;
    own.caps = wanted;
    return true;
  }

  private noticeExits(): boolean {
    let changed = false;
    for (const task of this.state.tasks) {
      if (task.lastStatus === "STOPPED" || task.pid === null || task.desiredStatus === "STOPPED") continue;
      if (isAlive(task.pid)) continue;
      const exit = readExit(this.box, task.id);
      if (!exit && this.zygoteAlive()) {
        const since = this.goneSince.get(task.id) ?? Date.now();
        this.goneSince.set(task.id, since);
        if (Date.now() - since < EXIT_REPORT_MS) continue;
      }
      this.goneSince.delete(task.id);
      // Killed (SIGKILL, or 137 from bubblewrap reporting it) while the cap was just reached: the cap did it.
      const killed = exit && (exit.signal === "SIGKILL" || exit.code === 137);
      const outOfMemory = Boolean(killed && this.oomSince !== undefined);
      if (outOfMemory) {
        this.oomSince = undefined;
        this.state.isolation.outOfMemory = { at: now(), stopped: "task", taskId: task.id };
      }
      const reason = outOfMemory ? OUT_OF_MEMORY_REASON : exit ? describeExit(exit.code, exit.signal) : "Essential container in task exited";
      // Whatever its leader left behind in its group (a sandbox's processes) goes with it.
      signalGroup(task.pid, "SIGKILL");
      markStopped(task, reason);
      changed = true;
      if (task.role === "scheduler" && this.state.status === "CREATE_IN_PROGRESS") {
        this.fail("SchedulerService", `Scheduler task ${task.id} stopped before it was ready: ${reason}. See its log lines.`);
      }
    }
    return changed;
  }

  private addTask(role: TaskRecord["role"]): void {
    const id = role === "scheduler" ? `scheduler-${this.state.tasks.length + 1}` : `worker-${this.state.nextWorker++}`;
    this.state.tasks.push(newTask(id, role));
  }

  private launch(task: TaskRecord): boolean {
    // Workers start with their scheduler, not after it: a worker keeps retrying its
    // scheduler's address until it answers.
    if (this.launching.has(task.id)) return false;
    this.launching.add(task.id);
    const zygote = this.zygote();
    void this.fork(task, zygote)
      .catch((err: Error) => console.error(`local environment ${this.state.envId}: could not record task ${task.id}:`, err.message))
      .finally(() => this.launching.delete(task.id));
    return false;
  }

  /**
   * The environment's zygote, started if it is not running: the tasks asked of it meanwhile wait
   * while it imports, or while the room's seed plants it (seed.ts). Returns the pid that leads
   * its sandbox's process group.
   */
  private zygote(): number {
    const own = this.state.zygote;
    if (this.zygoteAlive()) return own.pid!;
    // What is left of one that exited (its sandbox's init, its holder, its socket) goes first.
    if (own.pid !== null) signalGroup(own.pid, "SIGKILL");
    fs.rmSync(zygoteSocket(this.state), { force: true });
    if (seedUsable(this.state.isolation.sandboxed)) {
      own.pid = launchHolder(this.context).pid;
      own.planted = null;
      this.planting = this.plant(own.pid);
    } else {
      own.pid = launchZygote(this.context).pid;
      delete own.planted;
    }
    this.save();
    return own.pid;
  }

  /** Has the room's seed plant the zygote in the holder's sandbox; a failure ends the sandbox, so the tasks waiting on it fail at once. */
  private async plant(chain: number): Promise<void> {
    // Stopped or started again meanwhile (a teardown, a failure): the sandbox is gone, and the zygote with it.
    const replaced = () => this.state.zygote.pid !== chain;
    try {
      const holder = await waitForHolder(chain, Date.now() + this.settings.createTimeoutMs);
      const planted = await roomSeed(this.settings).plant(plantRequest(this.context, holder));
      if (replaced()) return;
      this.state.zygote.planted = planted;
      this.save();
    } catch (err) {
      if (replaced()) return;
      const reason = `the room's seed could not plant the zygote: ${(err as Error).message}`;
      console.error(`local environment ${this.state.envId}: ${reason}`);
      appendPlainFile(path.join(this.box, "zygote.log"), `${reason}\n`);
      signalGroup(chain, "SIGKILL");
    }
  }

  /** Its sandbox runs and, if the seed planted it, the zygote itself too (or it is still being planted). */
  private zygoteAlive(): boolean {
    const { pid, planted } = this.state.zygote;
    if (pid === null || !isAlive(pid)) return false;
    return planted === undefined || planted === null || (isAlive(planted) && markersOf(planted).envId === this.state.envId);
  }

  /** Asks the zygote for the task; it is PENDING once it runs, with the pid this machine knows it by. */
  private async fork(task: TaskRecord, zygote: number): Promise<void> {
    try {
      const inner = await requestTask(zygoteSocket(this.state), taskRequest(this.context, task), {
        deadline: Date.now() + this.settings.createTimeoutMs,
        alive: () => this.state.zygote.pid === zygote && this.zygoteAlive(),
      });
      // A planted zygote's parent is not in its sandbox (the seed's child that entered it
      // exited), so its tasks are looked for below it; they are in its sandbox all the same.
      await this.planting;
      const planted = this.state.zygote.pid === zygote ? this.state.zygote.planted : undefined;
      const pid = hostPidOf(planted ?? zygote, inner);
      if (pid === null) throw new Error(`the zygote's task (pid ${inner} in its sandbox) is not to be found`);
      // Stopped (a teardown, a failure) while it was being started: it goes at once.
      if (task.desiredStatus === "STOPPED") {
        signalGroup(pid, "SIGKILL");
        return;
      }
      task.pid = pid;
      task.lastStatus = "PENDING";
    } catch (err) {
      if (task.lastStatus === "STOPPED") return;
      const reason = `Task failed to start: ${(err as Error).message}`;
      markStopped(task, reason);
      if (task.role === "scheduler" && this.state.status === "CREATE_IN_PROGRESS") {
        this.fail("SchedulerService", `Scheduler task ${task.id} stopped before it was ready: ${reason}.`);
        return;
      }
    }
    this.save();
    this.supervision.nudge();
  }

  /**
   * The zygote goes once the tasks it started have: it holds nothing to close, so it is killed
   * at once, as a task is once it has logged its clean close (waiting for its sandbox's init to
   * be collected added a second or two to every teardown).
   */
  private stopZygote(): void {
    const pid = this.state.zygote.pid;
    if (pid !== null && isAlive(pid)) signalGroup(pid, "SIGKILL");
    this.state.zygote = { pid: null };
  }

  /** Being torn down, or failed: nothing more is started for it. */
  private get winding(): boolean {
    return isDeleting(this.state.status) || this.state.status === "CREATE_FAILED";
  }

  private async promoteReady(): Promise<boolean> {
    const pending = this.state.tasks.filter((t) => t.lastStatus === "PENDING");
    if (!pending.length) return false;
    const socket = dashboardSocket(this.state);
    const base = proxiedBase(this.state.envId, "dashboard");
    let changed = false;
    const scheduler = pending.find((t) => t.role === "scheduler");
    if (scheduler && (await schedulerAnswers(socket, base))) {
      markRunning(scheduler);
      changed = true;
    }
    const workers = pending.filter((t) => t.role === "worker");
    if (workers.length) {
      const registered = await registeredWorkers(socket, base);
      for (const worker of workers) {
        if (registered?.has(worker.id)) {
          markRunning(worker);
          changed = true;
        }
      }
    }
    return changed;
  }

  private async superviseNotebook(): Promise<boolean> {
    const nb = this.state.notebook;
    if (nb.pid === null) {
      // JupyterLab starts alongside the cluster, below it (launchNotebook); the notebook connects when its first cell runs.
      nb.pid = launchNotebook(this.context).pid;
      return true;
    }
    if (!isAlive(nb.pid)) {
      signalGroup(nb.pid, "SIGKILL");
      this.state.notebook = { pid: null, ready: false };
      return true;
    }
    if (!nb.ready && (await jupyterAnswers(notebookSocket(this.state), proxiedBase(this.state.envId, "notebook"), this.state.notebookToken))) {
      nb.ready = true;
      raiseNotebook(nb.pid);
      // Not one of the stack's gating resources: the environment is ready without it, and
      // the page turns the notebook link live when this event arrives.
      this.stackEvent("NotebookInstance", "CREATE_COMPLETE");
      return true;
    }
    return false;
  }

  private settleStack(): boolean {
    const s = this.state;
    const running = (role: TaskRecord["role"]) =>
      s.tasks.filter((t) => t.role === role && t.lastStatus === "RUNNING" && t.desiredStatus === "RUNNING").length;
    const stopping = s.tasks.some((t) => t.desiredStatus === "STOPPED" && t.lastStatus !== "STOPPED");
    const schedulerOk = running("scheduler") === 1;
    const workersOk = running("worker") === s.desiredWorkers && !stopping;
    let changed = false;
    if (schedulerOk && !s.resourcesDone.includes("SchedulerService")) {
      this.resourceDone("SchedulerService");
      changed = true;
    }
    if (s.status === "CREATE_IN_PROGRESS") {
      if (schedulerOk && workersOk && !s.resourcesDone.includes("WorkerService")) {
        this.resourceDone("WorkerService");
        changed = true;
      }
      if (RESOURCES.every((r) => s.resourcesDone.includes(r))) {
        s.status = "CREATE_COMPLETE";
        this.stackEvent(s.stackName, "CREATE_COMPLETE");
        changed = true;
      } else if (Date.now() > this.createDeadline) {
        const missing = RESOURCES.filter((r) => !s.resourcesDone.includes(r)).join(", ");
        this.fail(missing.split(", ")[0], `Timed out waiting for ${missing} to become ready.`);
        changed = true;
      }
    } else if (s.status === "UPDATE_IN_PROGRESS" && schedulerOk && workersOk) {
      s.status = "UPDATE_COMPLETE";
      this.stackEvent("WorkerService", "UPDATE_COMPLETE");
      this.stackEvent(s.stackName, "UPDATE_COMPLETE");
      changed = true;
    }
    return changed;
  }

  private fail(resource: string, reason: string): void {
    this.state.status = "CREATE_FAILED";
    this.state.reason = reason;
    this.stackEvent(resource, "CREATE_FAILED", reason);
    this.stackEvent(this.state.stackName, "CREATE_FAILED", reason);
    this.save();
    this.supervision.stop();
    // Like a rollback: nothing of a failed environment is left running.
    const reasonForTasks = `Stack creation failed: ${reason}`;
    for (const task of this.state.tasks.filter((t) => t.lastStatus !== "STOPPED")) beginStopping(task);
    void Promise.all([
      ...this.state.tasks.filter((t) => t.desiredStatus === "STOPPED" && t.lastStatus !== "STOPPED").map((t) => this.stopTask(t, reasonForTasks)),
      this.stopNotebook(),
    ])
      .then(() => this.stopZygote())
      .then(() => this.releaseIsolation())
      .then(() => this.save());
  }

  // ---- task state changes

  private async stopTask(task: TaskRecord, reason: string): Promise<void> {
    if (task.pid !== null && isAlive(task.pid)) {
      task.cpuSeconds = Math.max(task.cpuSeconds, cpuSecondsOf(task.pid) ?? 0);
      task.lastStatus = "STOPPING";
      await stopGroup(task.pid, this.settings.graceMs, () => closedCleanly(this.box, task.id));
    }
    markStopped(task, reason);
  }

  private async stopNotebook(): Promise<void> {
    const pid = this.state.notebook.pid;
    if (pid !== null && isAlive(pid)) await stopGroup(pid, this.settings.graceMs);
    this.state.notebook = { pid: null, ready: false };
  }

  private resourceDone(resource: string): void {
    this.state.resourcesDone.push(resource);
    this.stackEvent(resource, "CREATE_COMPLETE");
  }

  private stackEvent(resource: string, status: string, reason?: string): void {
    fs.appendFileSync(this.stackEventsFile, `${JSON.stringify({ at: now(), resource, status, reason })}\n`);
  }

  private save(): void {
    saveState(this.dir, this.state);
  }
}
