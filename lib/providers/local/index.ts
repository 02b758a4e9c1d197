import "server-only";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { ProviderError, type EnvironmentRef, type EnvironmentSnapshot, type EventBatch, type Provider, type ProviderEvent } from "../types";
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
    return local.snapshot();
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
    }
    this.sweepOrphans();
  }

  /** Lets go of every environment (processes keep running) — what a portal shutting down does. */
  release(): void {
    for (const env of this.envs.values()) env.release();
    this.envs.clear();
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
