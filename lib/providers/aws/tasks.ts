import { DescribeTasksCommand, ListTasksCommand, type DesiredStatus, type ECSClient, type Task } from "@aws-sdk/client-ecs";
import { taskStatuses, type TaskLastStatus, type TaskRole, type TaskState } from "../types";
import type { RateLimiter } from "./limiter";

/** What a stack's outputs say about where its tasks run. */
export interface ServiceNames {
  cluster: string;
  scheduler: string;
  worker: string;
  stackName: string;
}

/**
 * One listing of a cluster's tasks, shared by every environment in it for `ttlMs`:
 * in event mode the whole room is a few ListTasks pages and DescribeTasks batches of
 * 100, however many environments and viewers ask.
 */
export class ClusterTasks {
  private cache = new Map<string, { at: number; tasks: Promise<Task[]> }>();

  constructor(
    private readonly ecs: ECSClient,
    private readonly limiter: RateLimiter,
    private readonly ttlMs: number,
  ) {}

  tasks(cluster: string): Promise<Task[]> {
    const hit = this.cache.get(cluster);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.tasks;
    const tasks = this.load(cluster);
    this.cache.set(cluster, { at: Date.now(), tasks });
    tasks.catch(() => this.cache.delete(cluster));
    return tasks;
  }

  /** Forget the listing, e.g. after a scale, so the next describe shows the change. */
  invalidate(cluster: string): void {
    this.cache.delete(cluster);
  }

  private async load(cluster: string): Promise<Task[]> {
    const arns: string[] = [];
    for (const desiredStatus of ["RUNNING", "STOPPED"] as DesiredStatus[]) {
      let nextToken: string | undefined;
      do {
        const page = await this.limiter.run("ecs-read", () =>
          this.ecs.send(new ListTasksCommand({ cluster, desiredStatus, nextToken, maxResults: 100 })),
        );
        arns.push(...(page.taskArns ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
    }
    const unique = [...new Set(arns)];
    const tasks: Task[] = [];
    for (let i = 0; i < unique.length; i += 100) {
      const batch = unique.slice(i, i + 100);
      const page = await this.limiter.run("ecs-read", () => this.ecs.send(new DescribeTasksCommand({ cluster, tasks: batch })));
      tasks.push(...(page.tasks ?? []));
    }
    return tasks;
  }
}

/** ECS gives a service's tasks the group "service:<name>"; the family is the fallback. */
export function roleOf(task: Task, names: ServiceNames): TaskRole | undefined {
  if (task.group === `service:${names.scheduler}`) return "scheduler";
  if (task.group === `service:${names.worker}`) return "worker";
  const family = task.taskDefinitionArn?.split("/").pop()?.split(":")[0];
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
  return {
    id: task.taskArn?.split("/").pop() ?? "",
    role,
    lastStatus: lastStatus(task.lastStatus),
    desiredStatus: task.desiredStatus === "STOPPED" ? "STOPPED" : "RUNNING",
    startedAt: iso(task.startedAt ?? task.createdAt),
    stoppedAt: iso(task.stoppedAt),
    stoppedReason: task.stoppedReason || undefined,
    cpu: Number(task.cpu ?? 0) || 0,
    memory: Number(task.memory ?? task.containers?.[0]?.memory ?? 0) || 0,
  };
}

/** The environment's tasks: scheduler first, then running before stopped, newest first. */
export function environmentTasks(all: Task[], names: ServiceNames): { state: TaskState; task: Task }[] {
  const mine: { state: TaskState; task: Task }[] = [];
  for (const task of all) {
    const role = roleOf(task, names);
    if (role) mine.push({ state: toTaskState(task, role), task });
  }
  const rank = (s: TaskState) => (s.role === "scheduler" ? 0 : 2) + (s.desiredStatus === "STOPPED" ? 1 : 0);
  return mine.sort((a, b) => rank(a.state) - rank(b.state) || (b.state.startedAt ?? "").localeCompare(a.state.startedAt ?? ""));
}

/** The network interface of a task (awsvpc), from its attachment details. */
export function networkInterfaceId(task: Task): string | undefined {
  for (const attachment of task.attachments ?? []) {
    const detail = attachment.details?.find((d) => d.name === "networkInterfaceId");
    if (detail?.value) return detail.value;
  }
  return undefined;
}
