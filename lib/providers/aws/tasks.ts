import { DescribeTasksCommand, ListTasksCommand, type DesiredStatus, type ECSClient, type Task } from "@aws-sdk/client-ecs";
import { taskStatuses, type TaskLastStatus, type TaskRole, type TaskState } from "@/lib/providers/contract";
import type { RateLimiter } from "./limiter";
import { Refreshing } from "./refreshing";

/** What a stack's outputs say about where its tasks run. */
export interface ServiceNames {
  cluster: string;
  scheduler: string;
  worker: string;
  stackName: string;
}

/** A full listing (RUNNING and STOPPED, every task described) at least this often. */
const fullListingMs = 5 * 60_000;

interface ClusterState {
  tasks: Map<string, Task>;
  fullAt: number;
  index: TaskIndex;
}

function familyOf(task: Task): string | undefined {
  return task.taskDefinitionArn?.split("/").pop()?.split(":")[0];
}

/**
 * A cluster's tasks by what says whose they are (service group, task family), so finding
 * one environment's tasks costs its own tasks, not a scan of the whole room's.
 */
export class TaskIndex {
  private readonly byKey = new Map<string, Task[]>();

  constructor(tasks: Iterable<Task>) {
    for (const task of tasks) {
      const family = familyOf(task);
      for (const key of [task.group, family && `family:${family}`]) {
        if (!key) continue;
        const list = this.byKey.get(key);
        if (list) list.push(task);
        else this.byKey.set(key, [task]);
      }
    }
  }

  /** Tasks that may be the environment's; roleOf decides which are. */
  candidates(names: ServiceNames): Task[] {
    const keys = [`service:${names.scheduler}`, `service:${names.worker}`, `family:${names.stackName}-scheduler`, `family:${names.stackName}-worker`];
    const found = new Map<string, Task>();
    for (const key of keys) for (const task of this.byKey.get(key) ?? []) found.set(task.taskArn ?? "", task);
    return [...found.values()];
  }
}

/**
 * One view of a cluster's tasks, shared by every environment in it: in event mode the
 * whole room is a few ListTasks pages and DescribeTasks batches of 100, however many
 * environments and viewers ask. Between full listings only tasks that can have changed
 * are described again: new ones, ones not yet RUNNING, and ones that left the RUNNING
 * listing (they are stopping), so a settled room costs its ListTasks pages and no more.
 */
export class ClusterTasks {
  private clusters = new Map<string, Refreshing<ClusterState>>();

  constructor(
    private readonly ecs: ECSClient,
    private readonly limiter: RateLimiter,
    private readonly retryMs: number,
  ) {}

  /**
   * The cluster's tasks as of `freshAfter` (epoch ms) or later; with `waitMs`, the tasks
   * at hand when the refresh takes longer than that (see Refreshing.getSoon).
   */
  async tasks(cluster: string, freshAfter: number, waitMs = 0): Promise<TaskIndex> {
    let entry = this.clusters.get(cluster);
    if (!entry) {
      entry = new Refreshing((previous) => this.load(cluster, previous), this.retryMs);
      this.clusters.set(cluster, entry);
    }
    return (await entry.getSoon(freshAfter, waitMs)).index;
  }

  /** The next read of the cluster asks ECS, e.g. after a scale, so the change shows at once. */
  invalidate(cluster: string): void {
    this.clusters.get(cluster)?.invalidate();
  }

  private async list(cluster: string, desiredStatus: DesiredStatus): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.limiter.run("ecs-read", () =>
        this.ecs.send(new ListTasksCommand({ cluster, desiredStatus, nextToken, maxResults: 100 })),
        { background: true },
      );
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return arns;
  }

  private async load(cluster: string, previous: ClusterState | undefined): Promise<ClusterState> {
    const now = Date.now();
    const full = !previous || now - previous.fullAt > fullListingMs;
    const running = await this.list(cluster, "RUNNING");
    const stopped = full ? await this.list(cluster, "STOPPED") : [];
    const known = previous?.tasks ?? new Map<string, Task>();
    const listed = new Set(running);
    let wanted: string[];
    if (full) {
      wanted = [...new Set([...running, ...stopped])];
    } else {
      const changing = [...known.values()]
        .filter((t) => t.lastStatus !== "STOPPED" && (t.lastStatus !== "RUNNING" || !listed.has(t.taskArn ?? "")))
        .map((t) => t.taskArn ?? "");
      wanted = [...new Set([...running.filter((arn) => !known.has(arn)), ...changing])];
    }
    const described = new Map<string, Task>();
    for (let i = 0; i < wanted.length; i += 100) {
      const batch = wanted.slice(i, i + 100);
      const page = await this.limiter.run("ecs-read", () => this.ecs.send(new DescribeTasksCommand({ cluster, tasks: batch })), { background: true });
      for (const task of page.tasks ?? []) described.set(task.taskArn ?? "", task);
    }
    if (full) return { tasks: described, fullAt: now, index: new TaskIndex(described.values()) };
    const tasks = new Map(known);
    for (const [arn, task] of described) tasks.set(arn, task);
    return { tasks, fullAt: previous?.fullAt ?? now, index: new TaskIndex(tasks.values()) };
  }
}

/** ECS gives a service's tasks the group "service:<name>"; the family is the fallback. */
export function roleOf(task: Task, names: ServiceNames): TaskRole | undefined {
  if (task.group === `service:${names.scheduler}`) return "scheduler";
  if (task.group === `service:${names.worker}`) return "worker";
  const family = familyOf(task);
  if (family === `${names.stackName}-scheduler`) return "scheduler";
  if (family === `${names.stackName}-worker`) return "worker";
  return undefined;
}

function lastStatus(value: string | undefined): TaskLastStatus {
  return (taskStatuses as readonly string[]).includes(value ?? "") ? (value as TaskLastStatus) : "PROVISIONING";
}

function iso(value: Date | undefined): string | undefined {
  return value ? new Date(value).toISOString() : undefined;
}

export function toTaskState(task: Task, role: TaskRole): TaskState {
  // The workshop's tasks have one container; its reason says more than the task's (an OOM kill).
  const container = task.containers?.[0];
  return {
    id: task.taskArn?.split("/").pop() ?? "",
    role,
    lastStatus: lastStatus(task.lastStatus),
    desiredStatus: task.desiredStatus === "STOPPED" ? "STOPPED" : "RUNNING",
    startedAt: iso(task.startedAt ?? task.createdAt),
    stoppedAt: iso(task.stoppedAt),
    stoppedReason: task.stoppedReason || undefined,
    ...(task.stopCode ? { stopCode: task.stopCode } : {}),
    ...(container?.reason ? { containerReason: container.reason } : {}),
    ...(container?.exitCode != null ? { exitCode: container.exitCode } : {}),
    cpu: Number(task.cpu ?? 0) || 0,
    memory: Number(task.memory ?? task.containers?.[0]?.memory ?? 0) || 0,
    ...(task.pullStartedAt && task.pullStoppedAt
      ? { pullSeconds: Math.max(0, (new Date(task.pullStoppedAt).getTime() - new Date(task.pullStartedAt).getTime()) / 1000) }
      : {}),
  };
}

/** The environment's tasks: scheduler first, then running before stopped, newest first. */
export function environmentTasks(cluster: TaskIndex, names: ServiceNames): { state: TaskState; task: Task }[] {
  const mine: { state: TaskState; task: Task }[] = [];
  for (const task of cluster.candidates(names)) {
    const role = roleOf(task, names);
    if (role) mine.push({ state: toTaskState(task, role), task });
  }
  const rank = (s: TaskState) => (s.role === "scheduler" ? 0 : 2) + (s.desiredStatus === "STOPPED" ? 1 : 0);
  return mine.sort((a, b) => rank(a.state) - rank(b.state) || (b.state.startedAt ?? "").localeCompare(a.state.startedAt ?? ""));
}

function attachmentDetail(task: Task, name: string): string | undefined {
  for (const attachment of task.attachments ?? []) {
    const detail = attachment.details?.find((d) => d.name === name);
    if (detail?.value) return detail.value;
  }
  return undefined;
}

/** The network interface of a task (awsvpc), from its attachment details. */
export function networkInterfaceId(task: Task): string | undefined {
  return attachmentDetail(task, "networkInterfaceId");
}

/** The task's private IPv4 address in its VPC (awsvpc), from its attachment details: no call of its own. */
export function privateAddress(task: Task): string | undefined {
  return attachmentDetail(task, "privateIPv4Address");
}
