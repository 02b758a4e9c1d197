import "server-only";
import type { Stack } from "@aws-sdk/client-cloudformation";
import { isInProgress } from "@/lib/status";
import { ActivityListeners } from "../shared/activity";
import type { EnvironmentRef, EnvironmentSnapshot } from "@/lib/providers/contract";
import { createAwsClients, type AwsClients } from "./clients";
import type { AwsProviderConfig, Cadence } from "./config";
import { AwsHealth } from "./health";
import { toProviderError } from "./errors";
import { createRateLimiter, type RateLimiter } from "./limiter";
import { notebookLogGroup, prepareNotebookLogGroup } from "./notebook-logs";
import { Refreshing } from "./refreshing";
import { RoomLog } from "./room-log";
import { RoomStacks } from "./room-stacks";
import { ServiceCounts } from "./services";
import { StackEventLog } from "./stack-events";
import { describeStack } from "./stack-reads";
import { loadTemplate, outputsOf, type StackTemplate } from "./stack";
import { ClusterTasks } from "./tasks";

/** After a deploy, scale or destroy the environment is watched closely for this long. */
export const actionWindowMs = 60_000;
/**
 * Outside an action's window, how long a poll waits for a room refresh (stack listing,
 * task pages, service counts) before it answers with what it has: under the call budget a
 * refresh of 200 environments takes seconds, and log lines must not wait behind it.
 */
const refreshWaitMs = 300;

/** What the provider remembers about one environment between calls. */
export interface Known {
  stackId?: string;
  /** Bumped by destroy, so a deploy after a teardown is a new CreateStack request. */
  generation: number;
  last?: EnvironmentSnapshot;
  /** CreateStack itself was refused (e.g. an invalid parameter); no stack exists. */
  refused?: string;
  dashboard?: { taskId: string; url?: string };
  /** PORTAL_DASHBOARD_ACCESS=vpc: the running scheduler's private IPv4 address at the last describe, where the portal proxies its dashboard. */
  privateDashboard?: string;
  /** The store believed this environment alive at start-up (adopt). */
  adopted?: boolean;
  /** When the portal last deployed, scaled or destroyed it: it is "changing" for a while after. */
  actedAt: number;
  /** DescribeStacks by name or id: solo mode, and stacks the room's listing does not hold. */
  direct?: Refreshing<Stack | undefined>;
  /** The environment's task ids and statuses at the last describe, to notice a change. */
  taskSignature?: string;
  /** Solo mode: when this environment's log group was last read. */
  logsReadAt: number;
  /** Event mode: when a read of its own last brought it level with the room's log buffer. */
  logsCaughtUpAt?: number;
  /** Its notebook's log streams were removed once the stack was gone. */
  notebookLogsCleared?: boolean;
}

/**
 * Everything the AWS provider's parts share: its configuration, its one set of clients
 * and call budget, the room-wide reads (stacks, tasks, services, stack events, logs) and
 * what it knows of each environment. One per provider; nothing here is global.
 */
/** What the portal reads from the access stack: the deploy role and the roles' boundary. */
interface AccessOutputs {
  role?: string;
  boundary?: string;
}

export class AwsContext {
  readonly clients: AwsClients;
  /** Every call goes through it; it records how each ended (see health). */
  readonly limiter: RateLimiter;
  /** AWS's health as the provider's own calls last found it. */
  readonly health: AwsHealth;
  readonly cadence: Cadence;
  /** How soon a failed shared read may be tried again. */
  readonly retryMs: number;
  readonly clusterTasks: ClusterTasks;
  readonly serviceCounts: ServiceCounts;
  readonly stackEvents: StackEventLog;
  readonly roomStacks: RoomStacks;
  readonly activity = new ActivityListeners();
  /** Bytes of log lines read for each stack since the portal started: CloudWatch Logs ingested at least that much. */
  readonly logBytes = new Map<string, number>();
  /** When each settled stack state (see statusMark) was first seen. */
  private readonly settledSince = new Map<string, number>();
  private readonly known = new Map<string, Known>();
  private readonly roomLogs = new Map<string, RoomLog>();
  private template?: Promise<StackTemplate>;
  private access?: Promise<AccessOutputs>;
  private notebookLogs?: Promise<boolean>;

  constructor(
    readonly config: AwsProviderConfig,
    deps: { clients?: AwsClients; limiter?: RateLimiter } = {},
  ) {
    this.clients = deps.clients ?? createAwsClients(config);
    this.health = new AwsHealth(`${config.region} (${config.mode} mode)`);
    this.limiter = this.health.observe(deps.limiter ?? createRateLimiter({ sizes: config.callBudget }));
    this.cadence =
      config.taskCacheMs === undefined
        ? config.cadence
        : { ...config.cadence, changingMs: config.taskCacheMs, settledMs: config.taskCacheMs, settledStacksMs: config.taskCacheMs, logsMs: config.taskCacheMs };
    this.retryMs = Math.min(this.cadence.changingMs, 5_000);
    this.clusterTasks = new ClusterTasks(this.clients.ecs, this.limiter, this.retryMs);
    this.serviceCounts = new ServiceCounts(this.clients.ecs, this.limiter);
    this.stackEvents = new StackEventLog(this.clients.cfn, this.limiter, this.retryMs);
    this.roomStacks = new RoomStacks(this.clients.cfn, this.limiter, this.retryMs);
  }

  /** The attendee template as sent (read once; a failed read is tried again next time). */
  templateOnce(): Promise<StackTemplate> {
    this.template ??= loadTemplate(this.config).catch((error: unknown) => {
      this.template = undefined;
      throw error;
    });
    return this.template;
  }

  /**
   * The access stack's outputs (cloudformation/portal-access.yaml). Found outputs are kept;
   * an absent access stack is asked for again next time, so deploying it needs no restart.
   */
  /** The notebooks' log group, made with a retention period unless it exists; asked once per process. */
  notebookLogGroupReady(): Promise<boolean> {
    this.notebookLogs ??= prepareNotebookLogGroup(this).catch((error: unknown) => {
      this.notebookLogs = undefined;
      throw toProviderError(error, "preparing SageMaker's notebook log group", notebookLogGroup);
    });
    return this.notebookLogs;
  }

  private accessOutputs(): Promise<AccessOutputs> {
    this.access ??= describeStack(this.clients.cfn, this.limiter, this.config.accessStack).then((stack) => {
      const outputs = stack ? outputsOf(stack) : {};
      if (!outputs.CloudFormationRoleArn) this.access = undefined;
      return { role: outputs.CloudFormationRoleArn || undefined, boundary: outputs.RoleBoundaryArn || undefined };
    }, (error: unknown) => {
      this.access = undefined;
      throw error;
    });
    return this.access;
  }

  /**
   * The role CloudFormation acts with: PORTAL_CFN_ROLE_ARN, else the access stack's
   * CloudFormationRoleArn output. Without either, stacks are made with the portal's own
   * credentials.
   */
  async cloudFormationRole(): Promise<string | undefined> {
    if (this.config.cloudFormationRoleArn) return this.config.cloudFormationRoleArn;
    return (await this.accessOutputs()).role;
  }

  /**
   * The template parameter that puts the access stack's permissions boundary on every role a
   * workshop stack creates: the deploy role may create roles only with it, so a template
   * handed to CloudFormation cannot make a role that does more than the workshop needs.
   * Empty (no boundary) when a role is given by PORTAL_CFN_ROLE_ARN or there is no access stack.
   */
  async boundaryParameter(): Promise<{ ParameterKey: string; ParameterValue: string }[]> {
    if (this.config.cloudFormationRoleArn) return [];
    const { boundary } = await this.accessOutputs();
    return boundary ? [{ ParameterKey: "RoleBoundaryArn", ParameterValue: boundary }] : [];
  }

  /** CreateStack/DeleteStack's RoleARN, when there is a deploy role. */
  async roleArgument(): Promise<{ RoleARN?: string }> {
    const role = await this.cloudFormationRole();
    return role ? { RoleARN: role } : {};
  }

  entry(env: EnvironmentRef): Known {
    let k = this.known.get(env.id);
    if (!k) {
      k = { generation: 0, actedAt: 0, logsReadAt: 0 };
      this.known.set(env.id, k);
    }
    return k;
  }

  /** The stack by name or id; `background` when a poller asks (an action's reads go first). */
  async findStack(env: EnvironmentRef, background = false): Promise<Stack | undefined> {
    const k = this.entry(env);
    const stack = await describeStack(this.clients.cfn, this.limiter, k.stackId ?? env.stackName, { background });
    if (stack?.StackId) k.stackId = stack.StackId;
    return stack;
  }

  /** Whether the environment's stack may change soon: it is in progress, or the portal just acted on it. */
  private stackChanging(k: Known, now: number): boolean {
    const s = k.last;
    return !s || now - k.actedAt < actionWindowMs || isInProgress(s.status);
  }

  /** Whether the environment may change by itself soon: then it is read every changingMs, else every settledMs. */
  private isChanging(k: Known, now: number): boolean {
    const s = k.last;
    if (!s || this.stackChanging(k, now)) return true;
    const running = s.tasks.filter((t) => t.desiredStatus === "RUNNING");
    if (running.some((t) => t.lastStatus !== "RUNNING")) return true;
    return running.filter((t) => t.role === "worker").length !== s.desiredWorkers;
  }

  /** Epoch ms after which what the portal holds about the environment's tasks and services is fresh enough. */
  freshAfter(k: Known): number {
    const now = Date.now();
    return now - (this.isChanging(k, now) ? this.cadence.changingMs : this.cadence.settledMs);
  }

  /**
   * The same for its stack. A worker being replaced or a notebook scaling changes tasks, not
   * the stack: then the stack is read at the settled stacks' cadence while its tasks are read
   * closely, so one busy environment never has the room's stack pages read every few seconds.
   */
  stackFreshAfter(k: Known): number {
    const now = Date.now();
    return now - (this.stackChanging(k, now) ? this.cadence.changingMs : this.cadence.settledStacksMs);
  }

  /** How long to wait for a refresh of shared reads: after an action, until it is fresh. */
  refreshWait(k: Known): number {
    return this.cadence.logsMs === 0 || Date.now() - k.actedAt < actionWindowMs ? 0 : refreshWaitMs;
  }

  /**
   * The environment's stack. Event mode reads it from the room's DescribeStacks pages;
   * only a stack missing there (just created, or deleted: AWS lists deleted stacks by id
   * only) is asked for by itself. Solo mode asks for each stack.
   */
  async stackOf(env: EnvironmentRef, fresh: number): Promise<Stack | undefined> {
    const k = this.entry(env);
    if (this.config.mode === "event") {
      let stack = (await this.roomStacks.get(fresh, this.refreshWait(k))).get(env.stackName);
      if (!stack && k.actedAt > fresh) stack = (await this.roomStacks.get(k.actedAt)).get(env.stackName);
      if (stack && (!k.stackId || stack.StackId === k.stackId)) {
        if (stack.StackId) k.stackId = stack.StackId;
        return stack;
      }
    }
    k.direct ??= new Refreshing(() => this.findStack(env, true), this.retryMs);
    return k.direct.getSoon(Math.max(fresh, k.actedAt), this.refreshWait(k));
  }

  /** A settled stack state; when it was first seen, its events are read once more, then never. */
  statusMark(stack: Stack): string {
    const mark = `${stack.StackId}|${stack.StackStatus}|${new Date(stack.LastUpdatedTime ?? stack.CreationTime ?? 0).getTime()}`;
    if (!this.settledSince.has(mark)) this.settledSince.set(mark, Date.now());
    return mark;
  }

  /** When the stack's settled state was first seen (see statusMark). */
  settledAt(stack: Stack): number {
    return this.settledSince.get(this.statusMark(stack)) ?? Date.now();
  }

  /** The event log group's one reader, shared by every environment in it. */
  roomLog(logGroup: string): RoomLog {
    let room = this.roomLogs.get(logGroup);
    if (!room) {
      room = new RoomLog(
        this.clients.logs,
        this.limiter,
        logGroup,
        { intervalMs: this.cadence.logsMs, overlapMs: this.cadence.overlapMs, retentionMs: 10 * 60_000, idleMs: 15_000 },
        (stackNames) => {
          for (const name of stackNames) this.activity.notify(name);
        },
      );
      this.roomLogs.set(logGroup, room);
    }
    return room;
  }
}
