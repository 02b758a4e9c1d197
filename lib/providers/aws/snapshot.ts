import "server-only";
import type { Stack } from "@aws-sdk/client-cloudformation";
import { DescribeNetworkInterfacesCommand } from "@aws-sdk/client-ec2";
import { hasReason, isComplete, isDeleting, isReady, isSettled } from "@/lib/status";
import { proxiedBase, ProviderError, type EnvironmentLinks, type EnvironmentRef, type EnvironmentSnapshot } from "@/lib/providers/contract";
import type { AwsContext, Known } from "./context";
import { toProviderError } from "./errors";
import { orAfter } from "./refreshing";
import type { StackEventLog } from "./stack-events";
import { clearNotebookLogs } from "./notebook-logs";
import { currentOperation, failureReason, outputsOf, resourcesDone, toStackStatus, validateStackName } from "./stack";
import { environmentTasks, networkInterfaceId, privateAddress, type ServiceNames } from "./tasks";

/** How long describe() and events() wait for stack events before answering without them. */
export const stackEventsWaitMs = 300;
/**
 * Worker services' desired counts are read again this often at most, unless the portal
 * scaled the service or its tasks changed (both invalidate the count): a notebook that
 * scales starts or stops tasks, so the task pages notice before this matters. Each service
 * waits up to half as long again, by a share fixed by its name: a room whose counts were all
 * read together does not have them all fall due together ever after.
 */
const serviceCountMs = 5 * 60_000;

function serviceCountAge(service: string): number {
  let hash = 0;
  for (let i = 0; i < service.length; i++) hash = (hash * 31 + service.charCodeAt(i)) >>> 0;
  return serviceCountMs + (hash % 1000) * (serviceCountMs / 2 / 1000);
}

function unreachableMessage(error: ProviderError): string {
  return error.code === "throttled"
    ? "AWS is throttling the portal; showing the last known state."
    : "Cannot reach AWS right now; showing the last known state. It will refresh by itself.";
}

/** Stack events fresh enough: every changingMs while in progress, once after it settles. */
export function eventsOf(ctx: AwsContext, stack: Stack): ReturnType<StackEventLog["events"]> {
  const status = toStackStatus(stack.StackStatus);
  const fresh = isSettled(status) ? ctx.settledAt(stack) : Date.now() - ctx.cadence.changingMs;
  return ctx.stackEvents.events(stack.StackId ?? "", fresh);
}

/**
 * The read's result if it comes within `ms`, else undefined while it goes on in the
 * background and fills the cache (with no cadence, as in tests, it always waits).
 */
export async function atMost<T>(ctx: AwsContext, reading: Promise<T>, ms: number): Promise<T | undefined> {
  if (ctx.cadence.logsMs === 0) return reading;
  return orAfter(reading, ms, undefined);
}

export function serviceNames(stack: Stack): ServiceNames | undefined {
  const o = outputsOf(stack);
  if (!o.ClusterName || !o.SchedulerServiceName || !o.WorkerServiceName) return undefined;
  return { cluster: o.ClusterName, scheduler: o.SchedulerServiceName, worker: o.WorkerServiceName, stackName: stack.StackName ?? "" };
}

/** The scheduler's public dashboard address, looked up once per scheduler task. */
async function dashboardUrl(ctx: AwsContext, k: Known, schedulerTask: { id: string; eni?: string } | undefined) {
  if (!schedulerTask?.eni) return undefined;
  if (k.dashboard?.taskId === schedulerTask.id && k.dashboard.url) return k.dashboard.url;
  const eni = schedulerTask.eni;
  const { NetworkInterfaces } = await ctx.limiter.run(
    "ec2-read",
    () => ctx.clients.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] })),
    { background: true },
  );
  const ip = NetworkInterfaces?.[0]?.Association?.PublicIp;
  const url = ip ? `http://${ip}:8787/status` : undefined;
  k.dashboard = { taskId: schedulerTask.id, url };
  return url;
}

function absent(env: EnvironmentRef, k: Known): EnvironmentSnapshot {
  k.privateDashboard = undefined;
  // CreateStack was refused, so AWS holds no stack to ask about.
  if (k.refused) {
    return { stackName: env.stackName, status: "CREATE_FAILED", reason: k.refused, progress: { done: 0, total: 0 }, tasks: [], desiredWorkers: 0, links: {} };
  }
  if (k.stackId || k.last || k.adopted) {
    const total = k.last?.progress.total ?? 0;
    return { stackName: env.stackName, status: "DELETE_COMPLETE", progress: { done: total, total }, tasks: [], desiredWorkers: 0, links: {} };
  }
  throw new ProviderError("not_found", `No stack named ${env.stackName} exists.`);
}

async function snapshot(ctx: AwsContext, env: EnvironmentRef): Promise<EnvironmentSnapshot> {
  const k = ctx.entry(env);
  const fresh = ctx.freshAfter(k);
  const stack = k.refused && !k.stackId ? undefined : await ctx.stackOf(env, ctx.stackFreshAfter(k));
  if (!stack) return absent(env, k);

  const status = toStackStatus(stack.StackStatus);
  const { resourceCount } = await ctx.templateOnce();
  let done = resourceCount;
  let reason: string | undefined;
  if (!isComplete(status)) {
    // Progress may lag while many stacks change at once; the status never waits for it.
    const latest = await atMost(ctx, eventsOf(ctx, stack), stackEventsWaitMs);
    const operation = currentOperation(latest ?? ctx.stackEvents.cached(stack.StackId ?? "") ?? [], stack.StackName ?? "");
    done = status === "DELETE_COMPLETE" ? resourceCount : Math.min(resourcesDone(operation, stack.StackName ?? ""), resourceCount);
    if (hasReason(status)) reason = failureReason(operation, stack);
  }

  const names = serviceNames(stack);
  const outputs = outputsOf(stack);
  const links: EnvironmentLinks = {};
  if (outputs.SchedulerDnsName) links.schedulerAddress = `tcp://${outputs.SchedulerDnsName}:8786`;
  if (isReady(status) && (outputs.NotebookInstanceName || outputs.NotebookConsoleUrl)) links.notebookReady = true;

  let tasks: EnvironmentSnapshot["tasks"] = [];
  let desiredWorkers = 0;
  let privateDashboard: string | undefined;
  if (names && !isDeleting(status) && status !== "DELETE_FAILED") {
    const wait = ctx.refreshWait(k);
    const mine = environmentTasks(await ctx.clusterTasks.tasks(names.cluster, fresh, wait), names);
    tasks = mine.map((m) => m.state);
    // Tasks came or went: the service's desired count may have moved too (the notebook can scale).
    const signature = tasks.map((t) => `${t.id}:${t.lastStatus}`).join(",");
    if (signature !== k.taskSignature) ctx.serviceCounts.invalidate(names.cluster, names.worker);
    k.taskSignature = signature;
    const countFresh = wait === 0 ? fresh : Math.min(fresh, Date.now() - serviceCountAge(names.worker));
    desiredWorkers = await ctx.serviceCounts.desired(names.cluster, names.worker, countFresh, wait);
    const scheduler = mine.find((m) => m.state.role === "scheduler" && m.state.lastStatus === "RUNNING");
    if (ctx.config.dashboardAccess.mode === "vpc") {
      // The portal proxies the dashboard to the scheduler's private address: no public address to look up.
      privateDashboard = scheduler && privateAddress(scheduler.task);
      if (privateDashboard) links.dashboard = `${proxiedBase(env.id, "dashboard")}/status`;
    } else {
      links.dashboard = await dashboardUrl(ctx, k, scheduler ? { id: scheduler.state.id, eni: networkInterfaceId(scheduler.task) } : undefined);
    }
  }
  k.privateDashboard = privateDashboard;

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

/** The environment now; while AWS cannot be reached, the last known state marked degraded. */
export async function describeEnvironment(ctx: AwsContext, env: EnvironmentRef): Promise<EnvironmentSnapshot> {
  validateStackName(env.stackName);
  const k = ctx.entry(env);
  try {
    const snap = await snapshot(ctx, env);
    if (snap.status === "DELETE_COMPLETE" && !k.notebookLogsCleared) {
      k.notebookLogsCleared = true;
      // Best effort, off the poll's path: a stream left behind still expires with the group.
      clearNotebookLogs(ctx, env.stackName).catch((error: unknown) => {
        k.notebookLogsCleared = false;
        console.warn(`[aws] ${env.stackName}: ${toProviderError(error, "removing the notebook's log streams").message}`);
      });
    }
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
