import "server-only";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { stackStatuses, taskStatuses } from "@/lib/providers/contract";

export const taskRecordSchema = z.object({
  id: z.string(),
  role: z.enum(["scheduler", "worker"]),
  pid: z.number().int().nullable(),
  lastStatus: z.enum(taskStatuses),
  desiredStatus: z.enum(["RUNNING", "STOPPED"]),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  stoppedAt: z.string().optional(),
  stoppedReason: z.string().optional(),
  cpuSeconds: z.number().default(0),
});
export type TaskRecord = z.infer<typeof taskRecordSchema>;

/** How the environment was isolated when it was made (isolation.ts), so a restart finds the same again. */
export const environmentIsolationSchema = z.object({
  /** bubblewrap was used. */
  sandboxed: z.boolean(),
  /** Its network namespace (`ip netns` name); null when it shares this machine's network. */
  namespace: z.string().nullable(),
  /** slirp4netns giving the namespace its public egress; null without egress. */
  egressPid: z.number().int().nullable(),
  /** Where its servers' Unix sockets are. */
  socketDir: z.string(),
  /** Its control group (caps.ts); null when uncapped. */
  group: z.object({ mode: z.enum(["cgroup-v2", "cgroup-v1"]), memory: z.string(), cpu: z.string() }).nullable(),
  /** The caps last set on the group. */
  caps: z.object({ memoryMiB: z.number(), cpus: z.number() }).nullable(),
  /** The group's OOM kills the portal has accounted for. */
  oomKills: z.number().int().min(0),
  /** The latest time the memory cap stopped something: a task, or a process started from JupyterLab (a kernel). */
  outOfMemory: z.object({ at: z.string(), stopped: z.enum(["kernel", "task"]), taskId: z.string().optional(), limit: z.literal("worker").optional() }).optional(),
});
export type EnvironmentIsolation = z.infer<typeof environmentIsolationSchema>;

/** Everything needed to find an environment's processes again after the portal restarts. */
export const localStateSchema = z.object({
  envId: z.string(),
  stackName: z.string(),
  status: z.enum(stackStatuses),
  reason: z.string().optional(),
  createdAt: z.string(),
  desiredWorkers: z.number().int().min(0),
  nextWorker: z.number().int().min(1),
  ports: z.object({ scheduler: z.number(), dashboard: z.number() }),
  notebookToken: z.string(),
  notebook: z.object({ pid: z.number().int().nullable(), ready: z.boolean() }),
  resourcesDone: z.array(z.string()),
  tasks: z.array(taskRecordSchema),
  /** The process the scheduler and workers are forked from (zygote.ts); absent in states written before it. */
  zygote: z
    .object({
      pid: z.number().int().nullable(),
      /**
       * A zygote the room's seed planted (seed.ts): `pid` is then its sandbox's holder, and this
       * the zygote's own pid on this machine (null while it is being planted). Absent for a
       * zygote started in its sandbox, and in states written before the seed.
       */
      planted: z.number().int().nullable().optional(),
    })
    .default({ pid: null }),
  /** Its sandbox writes only in its box (box.ts); false in states written before the box, whose whole folder was bound. */
  boxed: z.boolean().default(false),
  isolation: environmentIsolationSchema,
});
export type LocalState = z.infer<typeof localStateSchema>;

/**
 * The stack's resources that must be complete before it is (progress counts these): the
 * environment is ready once its workers have registered. The NotebookInstance (JupyterLab)
 * starts alongside and reports on its own (the snapshot's `notebookReady`).
 */
export const RESOURCES = ["LogGroup", "SchedulerService", "WorkerService"] as const;

export function stateFile(dir: string): string {
  return path.join(dir, "state.json");
}

export function loadState(dir: string): LocalState | null {
  try {
    return localStateSchema.parse(JSON.parse(fs.readFileSync(stateFile(dir), "utf8")));
  } catch {
    return null;
  }
}

/** Written to a temp file and renamed, so a crash never leaves half a state file. */
export function saveState(dir: string, state: LocalState): void {
  const tmp = `${stateFile(dir)}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2), { mode: 0o600 });
  fs.renameSync(tmp, stateFile(dir));
}
