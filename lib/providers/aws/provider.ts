import "server-only";
import { CreateStackCommand, DeleteStackCommand, DescribeStacksCommand, type Stack } from "@aws-sdk/client-cloudformation";
import { DescribeNetworkInterfacesCommand } from "@aws-sdk/client-ec2";
import { UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { CreatePresignedNotebookInstanceUrlCommand } from "@aws-sdk/client-sagemaker";
import { ActivityListeners } from "../activity";
import {
  ProviderError,
  type DeployOptions,
  type EnvironmentLinks,
  type EnvironmentRef,
  type EnvironmentSnapshot,
  type EventBatch,
  type Provider,
  type ProviderEvent,
} from "../types";
import { createAwsClients, type AwsClients } from "./clients";
import type { AwsProviderConfig } from "./config";
import { errorName, toProviderError } from "./errors";
import { decodeCursor, encodeCursor, fetchLogLines, newStackEvents, selectNewLines, type EventCursor, type LogLine } from "./events";
import { createRateLimiter, type RateLimiter } from "./limiter";
import { listEventStacks, type EventStack } from "./reconcile";
import { orAfter, Refreshing } from "./refreshing";
import { RoomLog } from "./room-log";
import { RoomStacks } from "./room-stacks";
import { ServiceCounts } from "./services";
import { StackEventLog } from "./stack-events";
import { describeStack } from "./stack-reads";
import {
  createToken,
  currentOperation,
  environmentTagKey,
  failureReason,
  isSettled,
  loadTemplate,
  outputsOf,
  resourcesDone,
  stackParameters,
  stackTags,
  toStackStatus,
  validateStackName,
  type StackTemplate,
} from "./stack";
import { ClusterTasks, environmentTasks, networkInterfaceId, type ServiceNames } from "./tasks";

export interface AwsProvider extends Provider {
  readonly name: "aws";
  /** The process's one call budget; the facilitator's AWS tools draw from it too. */
  readonly limiter: RateLimiter;
  /** The event's stacks as AWS sees them, to re-adopt or retire what the store lacks. */
  listEventStacks(): Promise<EventStack[]>;
  /**
   * Calls `listener` when new log lines of the environment have been read (event mode:
   * the room's one log cursor), so its stream can poll at once instead of on its timer.
   */
  onActivity(env: EnvironmentRef, listener: () => void): () => void;
}

interface Known {
  stackId?: string;
  /** Bumped by destroy, so a deploy after a teardown is a new CreateStack request. */
  generation: number;
  last?: EnvironmentSnapshot;
  /** CreateStack itself was refused (e.g. an invalid parameter); no stack exists. */
  refused?: string;
  dashboard?: { taskId: string; url?: string };
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
}

/** After a deploy, scale or destroy the environment is watched closely for this long. */
const actionWindowMs = 60_000;
/** How long describe() and events() wait for stack events before answering without them. */
const stackEventsWaitMs = 300;
/**
 * Outside an action's window, how long a poll waits for a room refresh (stack listing,
 * task pages, service counts) before it answers with what it has: under the call budget a
 * refresh of 200 environments takes seconds, and log lines must not wait behind it.
 */
const refreshWaitMs = 300;
/**
 * Worker services' desired counts are read again this often at most, unless the portal
 * scaled the service or its tasks changed (both invalidate the count): a notebook that
 * scales starts or stops tasks, so the task pages notice before this matters.
 */
const serviceCountMs = 5 * 60_000;

function unreachableMessage(error: ProviderError): string {
  return error.code === "throttled"
    ? "AWS is throttling the portal; showing the last known state."
    : "Cannot reach AWS right now; showing the last known state. It will refresh by itself.";
}

export function createAwsProvider(
  config: AwsProviderConfig,
  deps: { clients?: AwsClients; limiter?: RateLimiter } = {},
): AwsProvider {
  const clients = deps.clients ?? createAwsClients(config);
  const limiter = deps.limiter ?? createRateLimiter({ sizes: config.callBudget });
  const cadence =
    config.taskCacheMs === undefined
      ? config.cadence
      : { ...config.cadence, changingMs: config.taskCacheMs, settledMs: config.taskCacheMs, logsMs: config.taskCacheMs };
  const retryMs = Math.min(cadence.changingMs, 5_000);
  const clusterTasks = new ClusterTasks(clients.ecs, limiter, retryMs);
  const serviceCounts = new ServiceCounts(clients.ecs, limiter);
  const stackEvents = new StackEventLog(clients.cfn, limiter, retryMs);
  const roomStacks = new RoomStacks(clients.cfn, limiter, retryMs);
  const roomLogs = new Map<string, RoomLog>();
  const activity = new ActivityListeners();
  /** When each settled stack state (see statusMark) was first seen. */
  const settledSince = new Map<string, number>();
  const known = new Map<string, Known>();
  let template: Promise<StackTemplate> | undefined;

  const templateOnce = () => {
    template ??= loadTemplate(config).catch((error: unknown) => {
      template = undefined;
      throw error;
    });
    return template;
  };
  const entry = (env: EnvironmentRef): Known => {
    let k = known.get(env.id);
    if (!k) {
      k = { generation: 0, actedAt: 0, logsReadAt: 0 };
      known.set(env.id, k);
    }
    return k;
  };

  /** The stack by name or id; `background` when a poller asks (an action's reads go first). */
  async function findStack(env: EnvironmentRef, background = false): Promise<Stack | undefined> {
    const k = entry(env);
    const stack = await describeStack(clients.cfn, limiter, k.stackId ?? env.stackName, { background });
    if (stack?.StackId) k.stackId = stack.StackId;
    return stack;
  }

  /** Whether the environment may change by itself soon: then it is read every changingMs, else every settledMs. */
  function isChanging(k: Known, now: number): boolean {
    const s = k.last;
    if (!s || now - k.actedAt < actionWindowMs || s.status.endsWith("_IN_PROGRESS")) return true;
    const running = s.tasks.filter((t) => t.desiredStatus === "RUNNING");
    if (running.some((t) => t.lastStatus !== "RUNNING")) return true;
    return running.filter((t) => t.role === "worker").length !== s.desiredWorkers;
  }

  function freshAfter(k: Known): number {
    const now = Date.now();
    return now - (isChanging(k, now) ? cadence.changingMs : cadence.settledMs);
  }

  /** How long to wait for a refresh of shared reads: after an action, until it is fresh. */
  function refreshWait(k: Known): number {
    return cadence.logsMs === 0 || Date.now() - k.actedAt < actionWindowMs ? 0 : refreshWaitMs;
  }

  /**
   * The environment's stack. Event mode reads it from the room's DescribeStacks pages;
   * only a stack missing there (just created, or deleted: AWS lists deleted stacks by id
   * only) is asked for by itself. Solo mode asks for each stack.
   */
  async function stackOf(env: EnvironmentRef, fresh: number): Promise<Stack | undefined> {
    const k = entry(env);
    if (config.mode === "event") {
      let stack = (await roomStacks.get(fresh, refreshWait(k))).get(env.stackName);
      if (!stack && k.actedAt > fresh) stack = (await roomStacks.get(k.actedAt)).get(env.stackName);
      if (stack && (!k.stackId || stack.StackId === k.stackId)) {
        if (stack.StackId) k.stackId = stack.StackId;
        return stack;
      }
    }
    k.direct ??= new Refreshing(() => findStack(env, true), retryMs);
    return k.direct.getSoon(Math.max(fresh, k.actedAt), refreshWait(k));
  }

  /** A settled stack state; when it was first seen, its events are read once more, then never. */
  function statusMark(stack: Stack): string {
    const mark = `${stack.StackId}|${stack.StackStatus}|${new Date(stack.LastUpdatedTime ?? stack.CreationTime ?? 0).getTime()}`;
    if (!settledSince.has(mark)) settledSince.set(mark, Date.now());
    return mark;
  }

  /** Stack events fresh enough: every changingMs while in progress, once after it settles. */
  function eventsOf(stack: Stack): ReturnType<StackEventLog["events"]> {
    const status = toStackStatus(stack.StackStatus);
    const fresh = isSettled(status) ? (settledSince.get(statusMark(stack)) ?? Date.now()) : Date.now() - cadence.changingMs;
    return stackEvents.events(stack.StackId ?? "", fresh);
  }

  /**
   * The read's result if it comes within `ms`, else undefined while it goes on in the
   * background and fills the cache (with no cadence, as in tests, it always waits).
   */
  async function atMost<T>(reading: Promise<T>, ms: number): Promise<T | undefined> {
    if (cadence.logsMs === 0) return reading;
    return orAfter(reading, ms, undefined);
  }

  function serviceNames(stack: Stack): ServiceNames | undefined {
    const o = outputsOf(stack);
    if (!o.ClusterName || !o.SchedulerServiceName || !o.WorkerServiceName) return undefined;
    return { cluster: o.ClusterName, scheduler: o.SchedulerServiceName, worker: o.WorkerServiceName, stackName: stack.StackName ?? "" };
  }

  function roomLogFor(logGroup: string): RoomLog {
    let room = roomLogs.get(logGroup);
    if (!room) {
      room = new RoomLog(
        clients.logs,
        limiter,
        logGroup,
        { intervalMs: cadence.logsMs, overlapMs: cadence.overlapMs, retentionMs: 10 * 60_000, idleMs: 15_000 },
        (stackNames) => {
          for (const name of stackNames) activity.notify(name);
        },
      );
      roomLogs.set(logGroup, room);
    }
    return room;
  }

  /** The environment's log lines after the cursor: from the room's buffer (event mode) or its own reads (solo). */
  async function logLines(env: EnvironmentRef, k: Known, stack: Stack, position: EventCursor) {
    const outputs = outputsOf(stack);
    const unchanged = { events: [], cursor: { logsAt: position.logsAt, logKeysAt: [], logSeen: position.logSeen } };
    if (!outputs.LogGroup || !outputs.LogStreamPrefix) return unchanged;
    const prefix = outputs.LogStreamPrefix;
    // A new cursor starts a little before the stack itself, for task clocks that run behind.
    const since = position.logsAt > 0 ? position.logsAt - cadence.overlapMs : new Date(stack.CreationTime ?? 0).getTime() - 120_000;
    let lines: LogLine[] = [];
    const room = config.mode === "event" ? roomLogFor(outputs.LogGroup) : undefined;
    if (room) lines = await room.lines(prefix, since);
    if (!room || !room.covers(since)) {
      // Solo mode, or lines from before the room's buffer (e.g. after a portal restart).
      if (!room && Date.now() - k.logsReadAt < cadence.logsMs) return unchanged;
      k.logsReadAt = Date.now();
      const own = await fetchLogLines(clients.logs, limiter, { logGroup: outputs.LogGroup, streamPrefix: prefix, startTime: since, maxPages: 5 });
      lines = own.complete ? [...own.lines, ...lines] : own.lines.filter((line) => line.at <= own.reachedAt);
    }
    return selectNewLines(lines, prefix, position, cadence.overlapMs);
  }

  async function dashboardUrl(k: Known, schedulerTask: { id: string; eni?: string } | undefined) {
    if (!schedulerTask?.eni) return undefined;
    if (k.dashboard?.taskId === schedulerTask.id && k.dashboard.url) return k.dashboard.url;
    const eni = schedulerTask.eni;
    const { NetworkInterfaces } = await limiter.run(
      "ec2-read",
      () => clients.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] })),
      { background: true },
    );
    const ip = NetworkInterfaces?.[0]?.Association?.PublicIp;
    const url = ip ? `http://${ip}:8787/status` : undefined;
    k.dashboard = { taskId: schedulerTask.id, url };
    return url;
  }

  async function snapshot(env: EnvironmentRef): Promise<EnvironmentSnapshot> {
    const k = entry(env);
    const fresh = freshAfter(k);
    // CreateStack was refused, so AWS holds no stack to ask about.
    const stack = k.refused && !k.stackId ? undefined : await stackOf(env, fresh);
    if (!stack) {
      if (k.refused) {
        return { stackName: env.stackName, status: "CREATE_FAILED", reason: k.refused, progress: { done: 0, total: 0 }, tasks: [], desiredWorkers: 0, links: {} };
      }
      if (k.stackId || k.last || k.adopted) {
        const total = k.last?.progress.total ?? 0;
        return { stackName: env.stackName, status: "DELETE_COMPLETE", progress: { done: total, total }, tasks: [], desiredWorkers: 0, links: {} };
      }
      throw new ProviderError("not_found", `No stack named ${env.stackName} exists.`);
    }

    const status = toStackStatus(stack.StackStatus);
    const { resourceCount } = await templateOnce();
    let done = resourceCount;
    let reason: string | undefined;
    if (status !== "CREATE_COMPLETE" && status !== "UPDATE_COMPLETE") {
      // Progress may lag while many stacks change at once; the status never waits for it.
      const latest = await atMost(eventsOf(stack), stackEventsWaitMs);
      const operation = currentOperation(latest ?? stackEvents.cached(stack.StackId ?? "") ?? [], stack.StackName ?? "");
      done = status === "DELETE_COMPLETE" ? resourceCount : Math.min(resourcesDone(operation, stack.StackName ?? ""), resourceCount);
      if (status.endsWith("FAILED") || status.startsWith("ROLLBACK") || status.startsWith("DELETE")) {
        reason = failureReason(operation, stack);
      }
    }

    const names = serviceNames(stack);
    const outputs = outputsOf(stack);
    const links: EnvironmentLinks = {};
    if (outputs.SchedulerDnsName) links.schedulerAddress = `tcp://${outputs.SchedulerDnsName}:8786`;
    if (outputs.NotebookConsoleUrl) links.notebook = outputs.NotebookConsoleUrl;

    let tasks: EnvironmentSnapshot["tasks"] = [];
    let desiredWorkers = 0;
    if (names && !status.startsWith("DELETE")) {
      const wait = refreshWait(k);
      const mine = environmentTasks(await clusterTasks.tasks(names.cluster, fresh, wait), names);
      tasks = mine.map((m) => m.state);
      // Tasks came or went: the service's desired count may have moved too (the notebook can scale).
      const signature = tasks.map((t) => `${t.id}:${t.lastStatus}`).join(",");
      if (signature !== k.taskSignature) serviceCounts.invalidate(names.cluster, names.worker);
      k.taskSignature = signature;
      const countFresh = wait === 0 ? fresh : Math.min(fresh, Date.now() - serviceCountMs);
      desiredWorkers = await serviceCounts.desired(names.cluster, names.worker, countFresh, wait);
      const scheduler = mine.find((m) => m.state.role === "scheduler" && m.state.lastStatus === "RUNNING");
      links.dashboard = await dashboardUrl(
        k,
        scheduler ? { id: scheduler.state.id, eni: networkInterfaceId(scheduler.task) } : undefined,
      );
    }

    return {
      stackName: stack.StackName ?? env.stackName,
      status,
      ...(reason ? { reason } : {}),
      progress: { done, total: resourceCount },
      tasks,
      desiredWorkers,
      links,
    };
  }

  async function requireNames(env: EnvironmentRef, doing: string): Promise<ServiceNames> {
    const stack = await findStack(env);
    const names = stack && serviceNames(stack);
    if (!names) throw new ProviderError("bad_request", `The environment is not ready yet, so the portal cannot ${doing}.`);
    return names;
  }

  async function describe(env: EnvironmentRef): Promise<EnvironmentSnapshot> {
    validateStackName(env.stackName);
    const k = entry(env);
    try {
      const snap = await snapshot(env);
      k.last = snap;
      return snap;
    } catch (error) {
      const problem = toProviderError(error, "reading the environment");
      if ((problem.code === "unavailable" || problem.code === "throttled") && k.last) {
        return { ...k.last, degraded: unreachableMessage(problem) };
      }
      throw problem;
    }
  }

  return {
    name: "aws",
    limiter,
    maxWorkers: config.maxWorkers,
    defaultWorkers: config.defaultWorkers,

    async deploy(env: EnvironmentRef, options: DeployOptions) {
      validateStackName(env.stackName);
      if (options.workers > config.maxWorkers) {
        throw new ProviderError("bad_request", `At most ${config.maxWorkers} workers are allowed.`);
      }
      const k = entry(env);
      k.refused = undefined;
      k.actedAt = Date.now();
      try {
        const { body } = await templateOnce();
        const response = await limiter.run("cfn-write", () =>
          clients.cfn.send(
            new CreateStackCommand({
              StackName: env.stackName,
              TemplateBody: body,
              Parameters: stackParameters(config, env, options.workers),
              Tags: stackTags(config, env),
              Capabilities: ["CAPABILITY_IAM"],
              ClientRequestToken: createToken(env, k.generation),
              ...(config.cloudFormationRoleArn ? { RoleARN: config.cloudFormationRoleArn } : {}),
            }),
          ),
        );
        k.stackId = response.StackId;
      } catch (error) {
        if (errorName(error) === "AlreadyExistsException") {
          const stack = await findStack(env).catch(() => undefined);
          const owner = stack?.Tags?.find((t) => t.Key === environmentTagKey)?.Value;
          if (stack && owner === env.id) return;
          throw new ProviderError("bad_request", `A stack named ${env.stackName} already exists and belongs to another environment.`);
        }
        const problem = toProviderError(error, "creating the stack");
        if (problem.code === "bad_request") k.refused = problem.message;
        throw problem;
      }
    },

    describe,

    async events(env, cursor) {
      validateStackName(env.stackName);
      const k = entry(env);
      try {
        const stack = await stackOf(env, freshAfter(k));
        if (!stack?.StackId) return { events: [], cursor };
        const position = decodeCursor(cursor);
        const settled = isSettled(toStackStatus(stack.StackStatus));
        const mark = statusMark(stack);
        let stackPart: { events: ProviderEvent[]; cursor: Partial<EventCursor> } = { events: [], cursor: {} };
        const logPart = logLines(env, k, stack, position);
        if (!settled || position.stackMark !== mark) {
          // Log lines never wait long behind the CloudFormation budget: stack events that are
          // not at hand yet come with a later poll (the read goes on and fills the cache).
          const list = await atMost(eventsOf(stack), stackEventsWaitMs);
          if (list) {
            const part = newStackEvents(list, position);
            stackPart = { events: part.events, cursor: { ...part.cursor, stackMark: settled ? mark : "" } };
          }
        }
        const logs = await logPart;
        const events = [...stackPart.events, ...logs.events].sort((a, b) => a.at.localeCompare(b.at));
        return { events, cursor: encodeCursor({ ...position, ...stackPart.cursor, ...logs.cursor }) } satisfies EventBatch;
      } catch (error) {
        throw toProviderError(error, "reading stack events and logs");
      }
    },

    async scale(env, workers) {
      validateStackName(env.stackName);
      if (!Number.isInteger(workers) || workers < 0 || workers > config.maxWorkers) {
        throw new ProviderError("bad_request", `Workers must be a whole number from 0 to ${config.maxWorkers}.`);
      }
      try {
        const names = await requireNames(env, "scale the workers");
        await limiter.run("ecs-write", () =>
          clients.ecs.send(new UpdateServiceCommand({ cluster: names.cluster, service: names.worker, desiredCount: workers })),
        );
        entry(env).actedAt = Date.now();
        serviceCounts.invalidate(names.cluster, names.worker);
        clusterTasks.invalidate(names.cluster);
      } catch (error) {
        throw toProviderError(error, "scaling the workers");
      }
    },

    async destroy(env) {
      validateStackName(env.stackName);
      const k = entry(env);
      k.refused = undefined;
      try {
        const stack = await findStack(env);
        if (!stack) return;
        await limiter.run("cfn-write", () =>
          clients.cfn.send(
            new DeleteStackCommand({
              StackName: stack.StackId,
              ...(config.cloudFormationRoleArn ? { RoleARN: config.cloudFormationRoleArn } : {}),
            }),
          ),
        );
        k.generation += 1;
        k.actedAt = Date.now();
      } catch (error) {
        throw toProviderError(error, "deleting the stack");
      }
    },

    async links(env) {
      validateStackName(env.stackName);
      const snap = await describe(env);
      const links = { ...snap.links };
      const stack = await findStack(env).catch(() => undefined);
      const notebookName = stack ? outputsOf(stack).NotebookInstanceName : undefined;
      if (notebookName) {
        try {
          const { AuthorizedUrl } = await limiter.run("sagemaker", () =>
            clients.sagemaker.send(
              new CreatePresignedNotebookInstanceUrlCommand({ NotebookInstanceName: notebookName, SessionExpirationDurationInSeconds: 1800 }),
            ),
          );
          if (AuthorizedUrl) links.notebook = AuthorizedUrl;
        } catch {
          // Not every endpoint offers presigned URLs (moto does not); the console link still works.
        }
      }
      return links;
    },

    async adopt(envs) {
      for (const env of envs) {
        validateStackName(env.stackName);
        entry(env).adopted = true;
      }
    },

    async health() {
      try {
        await limiter.run("cfn-read", () =>
          clients.cfn.send(new DescribeStacksCommand(config.eventStack ? { StackName: config.eventStack } : {})),
        );
        return { ok: true, message: `AWS answers in ${config.region} (${config.mode} mode).` };
      } catch (error) {
        return { ok: false, message: toProviderError(error, "checking AWS").message };
      }
    },

    onActivity(env, listener) {
      return activity.add(env.stackName, listener);
    },

    listEventStacks() {
      return listEventStacks(clients.cfn, limiter, config.eventId).catch((error: unknown) => {
        throw toProviderError(error, "listing the event's stacks");
      });
    },
  };
}
