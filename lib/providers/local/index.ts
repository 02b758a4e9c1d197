import "server-only";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { ProviderError, type EnvironmentRef, type EnvironmentSnapshot, type EventBatch, type Provider, type ProviderEvent } from "../types";
import { ActivityListeners } from "../activity";
import { LocalEnvironment, type LocalSettings } from "./environment";
import { readNewLines } from "./log-tail";
import { findOwnedProcesses, signalGroup } from "./processes";

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

/** Resolved at run time; the comment keeps the bundler from tracing the Python env into the build. */
const fromCwd = (p: string) => path.resolve(/* turbopackIgnore: true */ process.cwd(), p);

export function localSettingsFromEnv(dataDir: string): LocalSettings {
  const memory = process.env.PORTAL_LOCAL_WORKER_MEMORY ?? "2GiB";
  const mib = /^(\d+)GiB$/.exec(memory) ? Number(memory.slice(0, -3)) * 1024 : /^(\d+)MiB$/.exec(memory) ? Number(memory.slice(0, -3)) : NaN;
  if (!Number.isFinite(mib)) throw new Error("PORTAL_LOCAL_WORKER_MEMORY must look like 2GiB or 512MiB.");
  return {
    pythonEnv: fromCwd(process.env.PORTAL_PYTHON_ENV ?? ".venv"),
    rootDir: path.join(dataDir, "local"),
    owner: dataDir,
    notebooksDir: fromCwd("notebooks"),
    sampleDataUrl: fromCwd(process.env.ERA5_DATA_URL ?? path.join(dataDir, "sample", "era5")),
    workerMemory: memory,
    workerMemoryMiB: mib,
    graceMs: Number(process.env.PORTAL_LOCAL_GRACE_MS ?? 5000),
    createTimeoutMs: Number(process.env.PORTAL_LOCAL_CREATE_TIMEOUT_MS ?? 120_000),
  };
}

/** The embedded default: real Dask processes on this machine, reported in ECS words. */
export class LocalProvider implements Provider {
  readonly name = "local" as const;
  readonly defaultWorkers = 2;
  private readonly envs = new Map<string, LocalEnvironment>();
  /** Streams waiting to hear that an environment wrote something (onActivity). */
  private readonly listeners = new ActivityListeners();
  private readonly watchers = new Map<string, { watcher: fs.FSWatcher; timer?: NodeJS.Timeout }>();

  constructor(
    private readonly settings: LocalSettings,
    readonly maxWorkers = 4,
  ) {
    fs.mkdirSync(settings.rootDir, { recursive: true, mode: 0o700 });
  }

  async health() {
    const dask = path.join(this.settings.pythonEnv, "bin", "dask");
    return fs.existsSync(dask)
      ? { ok: true, message: `Python environment at ${this.settings.pythonEnv}` }
      : { ok: false, message: `Python environment missing at ${this.settings.pythonEnv}: run \`make pyenv\`.` };
  }

  async deploy(env: EnvironmentRef, options: { workers: number }): Promise<void> {
    if (this.envs.has(env.id)) return;
    this.envs.set(env.id, await LocalEnvironment.create(this.settings, env.id, env.stackName, options.workers));
    this.watch(env.id);
  }

  async describe(env: EnvironmentRef): Promise<EnvironmentSnapshot> {
    const local = this.envs.get(env.id);
    if (!local) {
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

  async destroy(env: EnvironmentRef, by = "its owner"): Promise<void> {
    const local = this.envs.get(env.id);
    if (!local) return;
    void local.destroy(by);
  }

  async links(env: EnvironmentRef) {
    return this.envs.get(env.id)?.links() ?? {};
  }

  /**
   * After a restart: adopt every environment the store still counts as alive, then stop
   * any process of ours that belongs to none of them.
   */
  async adopt(refs: EnvironmentRef[]): Promise<void> {
    for (const ref of refs) {
      if (this.envs.has(ref.id)) continue;
      const local = LocalEnvironment.adopt(this.settings, ref.id);
      if (local) this.envs.set(ref.id, local);
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
    try {
      const watcher = fs.watch(local.dir, (_kind, file) => {
        const name = String(file ?? "");
        if (name !== "stack-events.jsonl" && (!name.endsWith(".log") || name === "notebook.log")) return;
        const watched = this.watchers.get(envId);
        if (!watched || watched.timer) return;
        // A burst of writes is one nudge: the stream reads everything new in one poll.
        watched.timer = setTimeout(() => {
          watched.timer = undefined;
          this.listeners.notify(envId);
        }, 50);
      });
      watcher.on("error", () => this.unwatch(envId));
      watcher.unref();
      this.watchers.set(envId, { watcher });
    } catch {
      // No watch (e.g. out of inotify watches): the stream's own timer still reads the files.
    }
  }

  private unwatch(envId: string): void {
    const watched = this.watchers.get(envId);
    if (!watched) return;
    clearTimeout(watched.timer);
    watched.watcher.close();
    this.watchers.delete(envId);
  }

  private sweepOrphans(): void {
    // Every task runs as the leader of its own process group, so its group id names it.
    for (const { pid, pgid, envId } of findOwnedProcesses(this.settings.owner)) {
      if (this.envs.get(envId)?.ownedPids().has(pgid)) continue;
      console.warn(`local provider: stopping orphaned process ${pid} of environment ${envId}`);
      signalGroup(pgid, "SIGKILL");
    }
  }
}
