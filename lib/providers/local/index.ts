import "server-only";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { portalConfigIn, repoPath, type Env, type PortalConfig } from "@/lib/config";
import { type ProxiedKind, ProviderError, type EnvironmentRef, type EnvironmentSnapshot, type EventBatch, type Provider, type ProviderHealth, type ProviderEvent, type ProxyTarget, type DashboardAccess, type UsageMeter, type CapacityPlanner, type RehearsalTools } from "@/lib/providers/contract";
import { ActivityListeners } from "../shared/activity";
import { admitOrRefuse, residentByEnvironment, roomCapacity, thisMachine, type CapacitySettings } from "./capacity";
import { LocalEnvironment, type LocalSettings } from "./environment";
import { isolationFrom, probeIsolation, type Isolation, type IsolationProbes } from "./isolation";
import { readNewLines } from "./log-tail";
import { insideUser, writeMinimalEtc } from "./minimal-etc";
import { SLIRP } from "./network";
import { localRehearsal } from "./rehearsal";
import { descendsFrom, findOwnedProcesses, signalGroup } from "./processes";

const cursorSchema = z.record(z.string(), z.number().int().min(0));

function parseCursor(cursor: string | null): Record<string, number> {
  if (!cursor) return {};
  try {
    return cursorSchema.parse(JSON.parse(cursor));
  } catch {
    throw new ProviderError("bad_request", "Unreadable event cursor.");
  }
}

const stackEventSchema = z.object({ at: z.string(), resource: z.string(), status: z.string(), reason: z.string().optional() });

/** The local provider's settings from the portal's configuration. */
export function localSettings(config: PortalConfig): LocalSettings {
  const tag = createHash("sha256").update(config.dataDir).digest("hex").slice(0, 8);
  return {
    ...config.local,
    rootDir: path.join(config.dataDir, "local"),
    owner: config.dataDir,
    notebooksDir: repoPath("notebooks"),
    pluginDir: repoPath("docker"),
    localPythonDir: repoPath("lib", "providers", "local", "python"),
    etcDir: path.join(config.dataDir, "sandbox-etc"),
    socketRoot: path.join(os.tmpdir(), `dask-portal-${tag}`),
  };
}

/** Which resolver a sandbox asks (minimal-etc.ts): slirp4netns's forwarder, none, or this machine's own on its network. */
function resolvConf(settings: LocalSettings, isolated: Isolation): string {
  if (isolated.network) return settings.egress === "public" ? `nameserver ${SLIRP.dns}\n` : "";
  try {
    return fs.readFileSync("/etc/resolv.conf", "utf8");
  } catch {
    return "";
  }
}

/** The settings a portal with this data folder would use (tests and benchmarks); `env` defaults to the portal's own. */
export function localSettingsFromEnv(dataDir: string, env?: Env): LocalSettings {
  return localSettings(portalConfigIn(dataDir, env));
}

/** Every task running as asked, and JupyterLab answering: the environment's full footprint. */
function isWhole(s: EnvironmentSnapshot): boolean {
  return (
    s.status.endsWith("_COMPLETE") &&
    s.status !== "DELETE_COMPLETE" &&
    s.links.notebookReady === true &&
    s.tasks.filter((t) => t.role === "worker" && t.lastStatus === "RUNNING").length === s.desiredWorkers
  );
}

/** CPU seconds the environment's processes used: measured, not estimated. */
const cpuMeter: UsageMeter = {
  unit: "cpu-seconds",
  measure: ({ snapshot }) => snapshot.usage?.cpuSeconds ?? 0,
  // A notebook run headless here is a kernel on this machine, not a task of its own.
  oneOffTask: () => 0,
};

/** The embedded default: real Dask processes on this machine, reported in ECS words. */
export class LocalProvider implements Provider {
  readonly name = "local" as const;
  readonly description =
    "Runs a real Dask scheduler, workers and JupyterLab on this machine — the same stages you would see on Amazon ECS.";
  readonly usage = cpuMeter;
  readonly maxWorkers: number;
  readonly defaultWorkers: number;
  private readonly envs = new Map<string, LocalEnvironment>();
  private readonly creating = new Map<string, Promise<void>>();
  /** Adopted at start-up, but their state was not found on this machine: they read DELETE_COMPLETE. */
  private readonly lost = new Set<string>();
  /** Streams waiting to hear that an environment wrote something (onActivity). */
  private readonly listeners = new ActivityListeners();
  private readonly watchers = new Map<string, { watchers: fs.FSWatcher[]; timer?: NodeJS.Timeout }>();
  /** Largest resident memory (MiB) one whole environment has been measured at; null before any. */
  private measuredMiB: number | null = null;
  /** Environments measured once they were whole (cluster up, notebook answering). */
  private readonly measured = new Set<string>();
  readonly capacity: CapacityPlanner;
  readonly rehearsal: RehearsalTools;
  /** What this machine allows, probed once: every deploy, adoption and the facilitator's page wait for it. */
  private readonly isolated: Promise<Isolation>;
  /** Known once probed; the capacity card plans with caps only when they hold. */
  private capped = false;

  constructor(
    private readonly settings: LocalSettings,
    workers: { max: number; default: number } = { max: 4, default: 2 },
    probes: Promise<IsolationProbes> = probeIsolation(settings),
  ) {
    this.maxWorkers = workers.max;
    this.defaultWorkers = Math.min(workers.default, workers.max);
    fs.mkdirSync(settings.rootDir, { recursive: true, mode: 0o700 });
    this.isolated = probes.then((found) => {
      const isolated = isolationFrom(settings, found);
      writeMinimalEtc(settings.etcDir, insideUser(), resolvConf(settings, isolated));
      this.capped = isolated.caps !== null;
      return isolated;
    });
    const plan = (): CapacitySettings => ({
      machine: settings.machine ?? thisMachine(),
      reserveMiB: settings.memoryReserveMiB,
      workerMemoryMiB: settings.workerMemoryMiB,
      notebookMemoryMiB: settings.notebookMemoryMiB,
      cpus: settings.cpus,
      capped: this.capped,
      defaultWorkers: this.defaultWorkers,
    });
    this.rehearsal = localRehearsal(settings, (env) => this.envs.get(env.id));
    this.capacity = {
      report: () => {
        this.measure();
        return roomCapacity(plan(), this.liveWorkers(), this.measuredMiB);
      },
      admit: (workers) => admitOrRefuse(plan(), this.liveWorkers(), workers, this.measuredMiB),
    };
  }

  /** Worker counts of the environments that hold (or will hold) memory on this machine. */
  private liveWorkers(): number[] {
    return [...this.envs.values()].map((e) => e.snapshot()).filter((s) => s.status !== "DELETE_COMPLETE" && !s.status.endsWith("FAILED")).map((s) => s.desiredWorkers);
  }

  /**
   * Measures the resident memory of every whole environment (all its processes, kernels
   * included) and keeps the largest: a whole one shows what an attendee's environment costs.
   */
  private measure(only?: string): void {
    const whole = [...this.envs.entries()].filter(([id, e]) => (!only || id === only) && isWhole(e.snapshot()));
    if (!whole.length) return;
    const ids = new Set(whole.map(([id]) => id));
    const totals = residentByEnvironment(findOwnedProcesses(this.settings.owner).filter((p) => ids.has(p.envId)));
    for (const [id, mib] of totals) {
      this.measured.add(id);
      this.measuredMiB = Math.max(this.measuredMiB ?? 0, Math.round(mib));
    }
  }

  async health() {
    const { state, message } = this.lastKnownHealth();
    return { ok: state === "ok", message };
  }

  /** The backend is this machine: whether the Python env's `dask` is there is one file look-up. */
  lastKnownHealth(): ProviderHealth {
    const dask = path.join(this.settings.pythonEnv, "bin", "dask");
    return fs.existsSync(dask)
      ? { state: "ok", message: `Python environment at ${this.settings.pythonEnv}` }
      : { state: "degraded", message: `Python environment missing at ${this.settings.pythonEnv}: run \`make pyenv\`.` };
  }

  /** How this portal's environments are isolated from each other and from it (probed once). */
  isolation(): Promise<Isolation> {
    return this.isolated;
  }

  async deploy(env: EnvironmentRef, options: { workers: number }): Promise<void> {
    if (this.envs.has(env.id)) return;
    // A second deploy of the same environment while the first is still making it waits for that one.
    const making = this.creating.get(env.id);
    if (making) return making;
    const made = this.create(env, options).finally(() => this.creating.delete(env.id));
    this.creating.set(env.id, made);
    return made;
  }

  private async create(env: EnvironmentRef, options: { workers: number }): Promise<void> {
    const isolated = await this.isolated;
    if (!isolated.deploysAllowed) {
      throw new ProviderError("unavailable", isolated.parts.filter((p) => p.state === "missing").map((p) => p.message).join(" "));
    }
    if (!Number.isInteger(options.workers) || options.workers < 0 || options.workers > this.maxWorkers) {
      throw new ProviderError("bad_request", `Workers must be a whole number from 0 to ${this.maxWorkers}.`);
    }
    this.lost.delete(env.id);
    this.envs.set(env.id, await LocalEnvironment.create(this.settings, isolated, env.id, env.stackName, options.workers));
    this.watch(env.id);
  }

  async describe(env: EnvironmentRef): Promise<EnvironmentSnapshot> {
    const local = this.envs.get(env.id);
    if (!local) {
      if (!this.lost.has(env.id)) throw new ProviderError("not_found", `No local environment ${env.stackName} on this machine.`);
      return {
        stackName: env.stackName,
        status: "DELETE_COMPLETE",
        reason: "The local environment's state was not found on this machine.",
        progress: { done: 0, total: 0 },
        tasks: [],
        desiredWorkers: 0,
        links: {},
      };
    }
    const snapshot = local.snapshot();
    if (snapshot.status === "DELETE_COMPLETE") this.unwatch(env.id);
    // The first moment an environment is whole, its footprint is measured once.
    if (!this.measured.has(env.id) && isWhole(snapshot)) this.measure(env.id);
    return snapshot;
  }

  async events(env: EnvironmentRef, cursor: string | null): Promise<EventBatch> {
    const local = this.envs.get(env.id);
    if (!local) return { events: [], cursor };
    const offsets = parseCursor(cursor);
    const events: ProviderEvent[] = [];

    const stack = readNewLines(local.stackEventsFile, offsets.stack ?? 0);
    offsets.stack = stack.next;
    for (const line of stack.lines) {
      const parsed = stackEventSchema.safeParse(JSON.parse(line.text));
      if (parsed.success) events.push({ kind: "stack", ...parsed.data });
    }

    const at = new Date().toISOString();
    for (const [taskId, role] of local.taskRoles()) {
      const read = readNewLines(local.logFile(taskId), offsets[taskId] ?? 0);
      offsets[taskId] = read.next;
      for (const line of read.lines) {
        events.push({ kind: "log", at, task: taskId, role, text: line.text, key: `${taskId}:${line.offset}` });
      }
    }
    return { events, cursor: JSON.stringify(offsets) };
  }

  async scale(env: EnvironmentRef, workers: number): Promise<void> {
    if (!Number.isInteger(workers) || workers < 0 || workers > this.maxWorkers) {
      throw new ProviderError("bad_request", `Workers must be a whole number from 0 to ${this.maxWorkers}.`);
    }
    const local = this.envs.get(env.id);
    if (!local) throw new ProviderError("not_found", "Environment not found.");
    try {
      local.scale(workers);
    } catch (err) {
      throw new ProviderError("bad_request", (err as Error).message);
    }
  }

  async destroy(env: EnvironmentRef, by: string): Promise<void> {
    const local = this.envs.get(env.id);
    if (!local) return;
    void local.destroy(by);
  }

  async openNotebook(env: EnvironmentRef): Promise<string> {
    const address = this.envs.get(env.id)?.notebookAddress();
    if (!address) throw new ProviderError("not_found", "The notebook is not running yet; wait until the environment is ready.");
    return address;
  }

  /** The notebook and the dashboard listen on Unix sockets only this machine reaches: the portal forwards to them. */
  readonly dashboardAccess: DashboardAccess = {
    mode: "proxied",
    target: (env: EnvironmentRef, kind: ProxiedKind): ProxyTarget | undefined => this.envs.get(env.id)?.proxyTarget(kind),
  };

  /** How to run a command as the environment's kernels run (LocalEnvironment.asKernel); undefined for one not here. */
  asKernel(env: EnvironmentRef, command: string, args: string[], cwd?: string): ReturnType<LocalEnvironment["asKernel"]> | undefined {
    return this.envs.get(env.id)?.asKernel(command, args, cwd);
  }

  /**
   * After a restart: adopt every environment the store still counts as alive, then stop
   * any process of ours that belongs to none of them.
   */
  async adopt(refs: EnvironmentRef[]): Promise<void> {
    const isolated = await this.isolated;
    for (const ref of refs) {
      if (this.envs.has(ref.id)) continue;
      const local = LocalEnvironment.adopt(this.settings, isolated, ref.id);
      if (local) this.envs.set(ref.id, local);
      else this.lost.add(ref.id);
      this.watch(ref.id);
    }
    this.sweepOrphans();
  }

  /** Lets go of every environment (processes keep running) — what a portal shutting down does. */
  release(): void {
    for (const id of [...this.watchers.keys()]) this.unwatch(id);
    for (const env of this.envs.values()) env.release();
    this.envs.clear();
  }

  /**
   * Calls `listener` soon after a task of the environment writes a log line or the stack
   * writes an event (a file watch on its folder), so its stream reads them at once instead
   * of on its next timer.
   */
  onActivity(env: EnvironmentRef, listener: () => void): () => void {
    const remove = this.listeners.add(env.id, listener, () => this.unwatch(env.id));
    this.watch(env.id);
    return remove;
  }

  private watch(envId: string): void {
    const local = this.envs.get(envId);
    if (!local || this.watchers.has(envId) || !this.listeners.has(envId)) return;
    const changed = (_kind: string, file: string | Buffer | null) => {
      const name = String(file ?? "");
      // state.json changes when a task turns RUNNING or the notebook answers.
      if (name !== "stack-events.jsonl" && name !== "state.json" && (!name.endsWith(".log") || name === "notebook.log")) return;
      const watched = this.watchers.get(envId);
      if (!watched || watched.timer) return;
      // A burst of writes is one nudge: the stream reads everything new in one poll.
      watched.timer = setTimeout(() => {
        watched.timer = undefined;
        this.listeners.notify(envId);
      }, 50);
    };
    const watched: { watchers: fs.FSWatcher[]; timer?: NodeJS.Timeout } = { watchers: [] };
    this.watchers.set(envId, watched);
    try {
      // The portal's own files beside the box, and the tasks' logs in it.
      for (const dir of new Set([local.dir, local.box])) {
        const watcher = fs.watch(dir, changed);
        watcher.on("error", () => this.unwatch(envId));
        watcher.unref();
        watched.watchers.push(watcher);
      }
    } catch {
      // No watch (e.g. out of inotify watches): the stream's own timer still reads the files.
    }
  }

  private unwatch(envId: string): void {
    const watched = this.watchers.get(envId);
    if (!watched) return;
    clearTimeout(watched.timer);
    for (const watcher of watched.watchers) watcher.close();
    this.watchers.delete(envId);
  }

  private sweepOrphans(): void {
    // Every task runs as the leader of its own process group, so its group id names it;
    // what a task started in a session of its own (a notebook's kernels) descends from it.
    for (const { pid, pgid, envId } of findOwnedProcesses(this.settings.owner)) {
      const owned = this.envs.get(envId)?.ownedPids();
      if (owned && (owned.has(pgid) || descendsFrom(pid, owned))) continue;
      console.warn(`local provider: stopping orphaned process ${pid} of environment ${envId}`);
      signalGroup(pgid, "SIGKILL");
    }
  }
}
