import { readFile } from "node:fs/promises";
import path from "node:path";
import { DescribeAddressesCommand, DescribeVpcsCommand } from "@aws-sdk/client-ec2";
import { DescribeTasksCommand, ListTasksCommand } from "@aws-sdk/client-ecs";
import { ListNotebookInstancesCommand, type NotebookInstanceSummary } from "@aws-sdk/client-sagemaker";
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  ListAWSDefaultServiceQuotasCommand,
  ListServiceQuotasCommand,
} from "@aws-sdk/client-service-quotas";
import type { HeadroomStatus, PreflightLine, PreflightQuotaLine, PreflightResult, QuotaSource } from "@/lib/providers/contract";
import { checkBudget, checkCostAllocationTag, daysAhead, latestQuotaRequest, openRequestStatuses } from "./before-event";
import type { AwsContext } from "./context";
import { toProviderError } from "./errors";
import { checkLinkedRole } from "./linked-roles";
import { checkAccessStack, checkEra5Months, checkEra5Region, checkNotebookCommit, checkRoomImage } from "./preflight-checks";
import { attendeeTemplateFile, outputsOf } from "./stack";
import { describeStack, eventAttendeeStacks } from "./stack-reads";

// Preflight: how much room the account has for the workshop, read before and during the
// event. Every reading may fail (no permission, an endpoint that lacks the API, such as
// moto for most quotas); a line then says what could not be read instead of failing.

/** Above this share of the quota a line warns: other work in the account uses the same quota. */
export const warnShare = 0.8;

export interface HeadroomInput {
  quota: number | null;
  inUse: number | null;
  /** What the room needs in total. */
  needed: number;
  /** How much of `inUse` is already the room's own (counted once, not twice). */
  roomInUse: number;
}

/** In use now plus what the room has yet to start, against the quota. */
export function assessHeadroom(input: HeadroomInput): { projected: number; status: HeadroomStatus } {
  const inUse = input.inUse ?? 0;
  const projected = round(inUse + Math.max(0, input.needed - Math.min(input.roomInUse, inUse)));
  if (input.quota === null) return { projected, status: "warn" };
  if (projected > input.quota) return { projected, status: "fail" };
  if (projected > input.quota * warnShare || input.inUse === null) return { projected, status: "warn" };
  return { projected, status: "ok" };
}

/** "1vCPU-4GB" → 1, "0.5vCPU-2GB" → 0.5 (the templates' FargateSize names). */
export function vcpuOfSize(size: string): number {
  const match = /^(\d+(?:\.\d+)?)vCPU-/.exec(size);
  if (!match) throw new Error(`not a Fargate size name: ${size}`);
  return Number(match[1]);
}

/** The Default of a top-level template parameter, from the YAML text. */
export function parameterDefault(templateBody: string, parameter: string): string | undefined {
  const block = new RegExp(`^ {2}${parameter}:\\s*\\n((?: {4}.*\\n)+)`, "m").exec(templateBody);
  return block ? /^ {4}Default:\s*["']?([^"'\s]+)/m.exec(block[1])?.[1] : undefined;
}

/** vCPU of one environment at the template's default sizes and the portal's default worker count. */
export function environmentVcpu(templateBody: string, defaultWorkers: number): PreflightResult["environmentVcpu"] {
  const scheduler = vcpuOfSize(parameterDefault(templateBody, "SchedulerSize") ?? "1vCPU-4GB");
  const worker = vcpuOfSize(parameterDefault(templateBody, "WorkerSize") ?? "1vCPU-8GB");
  return { scheduler, worker, workers: defaultWorkers, total: round(scheduler + defaultWorkers * worker) };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

interface QuotaSpec {
  serviceCode: string;
  /** The quota's name in Service Quotas, which the fix sentence quotes. */
  name: string;
  /** Fixed codes are read with GetServiceQuota; quotas whose code differs by instance type are found by name. */
  quotaCode?: string;
  /** What AWS documents as the default for every account, used (and said) when nothing answers. */
  documentedDefault?: number;
}

const quotas = {
  fargateVcpu: { serviceCode: "fargate", quotaCode: "L-3032A538", name: "Fargate On-Demand vCPU resource count" },
  fargateSpotVcpu: { serviceCode: "fargate", quotaCode: "L-36FBB829", name: "Fargate Spot vCPU resource count" },
  notebooks: { serviceCode: "sagemaker", quotaCode: "L-04CE2E67", name: "Total number of notebook instances" },
  // The room's image builds on an ARM machine; new accounts often start this quota at 0 or 1.
  codebuildArm: { serviceCode: "codebuild", quotaCode: "L-596BEAB4", name: "Concurrently running builds for ARM/Large environment" },
  vpcs: { serviceCode: "vpc", quotaCode: "L-F678F1CE", name: "VPCs per Region", documentedDefault: 5 },
  elasticIps: { serviceCode: "ec2", quotaCode: "L-0263D0A3", name: "EC2-VPC Elastic IPs", documentedDefault: 5 },
} satisfies Record<string, QuotaSpec>;

/** The SageMaker quota on running notebook instances of one type ("ml.t3.medium for notebook instance usage"). */
export function notebookTypeQuota(instanceType: string): QuotaSpec {
  return { serviceCode: "sagemaker", name: `${instanceType} for notebook instance usage` };
}

/** Account-level reads (Service Quotas, EC2) share the EC2 read budget: no family of their own fits better. */
const accountReads = "ec2-read" as const;

interface Reading<T> {
  value: T | null;
  problem?: string;
}

async function reading<T>(doing: string, read: () => Promise<T>): Promise<Reading<T>> {
  try {
    return { value: await read() };
  } catch (error) {
    return { value: null, problem: toProviderError(error, doing).message };
  }
}

type QuotaReading = { value: number | null; source: QuotaSource; code?: string };

/** ListServiceQuotas (or the AWS defaults) page by page until a quota of that name turns up. */
async function quotaByName(ctx: AwsContext, spec: QuotaSpec, defaults: boolean): Promise<{ Value?: number; QuotaCode?: string } | undefined> {
  let nextToken: string | undefined;
  do {
    const ask = { ServiceCode: spec.serviceCode, MaxResults: 100, NextToken: nextToken };
    const page = await ctx.limiter.run(accountReads, () =>
      ctx.clients.quotas.send(defaults ? new ListAWSDefaultServiceQuotasCommand(ask) : new ListServiceQuotasCommand(ask)),
    );
    const found = page.Quotas?.find((q) => q.QuotaName === spec.name);
    if (found) return found;
    nextToken = page.NextToken;
  } while (nextToken);
  return undefined;
}

async function readQuota(ctx: AwsContext, spec: QuotaSpec): Promise<QuotaReading> {
  const code = spec.quotaCode;
  const ask = { ServiceCode: spec.serviceCode, QuotaCode: code };
  const applied = await reading("reading a service quota", async () =>
    code
      ? (await ctx.limiter.run(accountReads, () => ctx.clients.quotas.send(new GetServiceQuotaCommand(ask)))).Quota
      : quotaByName(ctx, spec, false),
  );
  if (typeof applied.value?.Value === "number") return { value: applied.value.Value, source: "account", code: code ?? applied.value.QuotaCode };
  const fallback = await reading("reading a default service quota", async () =>
    code
      ? (await ctx.limiter.run(accountReads, () => ctx.clients.quotas.send(new GetAWSDefaultServiceQuotaCommand(ask)))).Quota
      : quotaByName(ctx, spec, true),
  );
  if (typeof fallback.value?.Value === "number") return { value: fallback.value.Value, source: "aws-default", code: code ?? fallback.value.QuotaCode };
  if (spec.documentedDefault !== undefined) return { value: spec.documentedDefault, source: "assumed", code };
  return { value: null, source: "unknown", code };
}

async function eventCluster(ctx: AwsContext): Promise<string | undefined> {
  const name = ctx.config.eventStack;
  const stack = name ? await describeStack(ctx.clients.cfn, ctx.limiter, name) : undefined;
  return stack ? outputsOf(stack).ClusterName : undefined;
}

type Capacity = "FARGATE" | "FARGATE_SPOT";

interface CapacityUse {
  vcpu: number;
  /** RUNNING tasks that did not report their size (moto never does; Fargate always does). */
  unsized: number;
}

type ClusterUse = Record<Capacity, CapacityUse>;

const noUse = (): ClusterUse => ({ FARGATE: { vcpu: 0, unsized: 0 }, FARGATE_SPOT: { vcpu: 0, unsized: 0 } });

/**
 * vCPU of the RUNNING tasks in one cluster, On-Demand and Spot apart: ListTasks pages,
 * DescribeTasks in batches of 100. A task started without a capacity provider runs On-Demand.
 */
async function runningVcpu(ctx: AwsContext, cluster: string, use: ClusterUse): Promise<void> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.limiter.run("ecs-read", () =>
      ctx.clients.ecs.send(new ListTasksCommand({ cluster, desiredStatus: "RUNNING", maxResults: 100, nextToken })),
    );
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  for (let i = 0; i < arns.length; i += 100) {
    const batch = arns.slice(i, i + 100);
    const { tasks } = await ctx.limiter.run("ecs-read", () => ctx.clients.ecs.send(new DescribeTasksCommand({ cluster, tasks: batch })));
    for (const task of tasks ?? []) {
      if (task.lastStatus !== "RUNNING") continue;
      const bucket = use[task.capacityProviderName === "FARGATE_SPOT" ? "FARGATE_SPOT" : "FARGATE"];
      const units = Number(task.cpu ?? 0);
      if (units > 0) bucket.vcpu += units / 1024;
      else bucket.unsized += 1;
    }
  }
}

async function countAll<T>(fetchPage: (token?: string) => Promise<{ items: T[]; next?: string }>): Promise<number> {
  let count = 0;
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    count += page.items.length;
    token = page.next;
  } while (token);
  return count;
}

function quotaWords(quota: number | null, source: QuotaSource, unit: string): string {
  if (quota === null) return "the quota could not be read (Service Quotas did not answer)";
  const value = `${quota} ${unit}`;
  if (source === "account") return `the account's quota is ${value}`;
  if (source === "aws-default") return `AWS's default quota is ${value} (the account's own could not be read)`;
  return `the quota is assumed to be AWS's documented default of ${value} (it could not be read)`;
}

const verdicts: Record<HeadroomStatus, string> = {
  ok: "There is room.",
  warn: "That is close to the limit; other work in the account uses the same quota.",
  fail: "That is over the quota: the room's stacks would fail to start.",
};

/** The quota to ask for: enough that the room's projected use is green (under the warning share). */
export function quotaTarget(projected: number): number {
  return Math.ceil(projected / warnShare);
}

/** How to fix a quota line that is not green, in one sentence (pure: unit-tested). */
export function quotaFix(spec: { name: string; code?: string }, region: string, status: HeadroomStatus, quota: number | null, projected: number, alternative?: string): string | undefined {
  if (status === "ok") return undefined;
  const named = `"${spec.name}"${spec.code ? ` (${spec.code})` : ""}`;
  if (quota === null) return `Look up ${named} in the Service Quotas console for ${region} and compare it with ${projected}; the portal's role needs servicequotas:GetServiceQuota to read it.`;
  return `Request an increase of ${named} to at least ${quotaTarget(projected)} in Service Quotas for ${region}, at least ${daysAhead.quota} days before the event${alternative ? `, or ${alternative}` : ""}.`;
}

interface QuotaLineInput {
  key: PreflightQuotaLine["key"];
  label: string;
  unit: string;
  spec: QuotaSpec;
  quota: QuotaReading;
  inUse: Reading<number>;
  needed: number;
  roomInUse: number;
  needWords: string;
  useWords: string;
  /** Another way out of a red or amber line than a quota increase. */
  alternative?: string;
}

export function quotaLine(input: QuotaLineInput, region: string): PreflightQuotaLine {
  const { key, label, unit, quota, inUse, needed } = input;
  const { projected, status } = assessHeadroom({ quota: quota.value, inUse: inUse.value, needed, roomInUse: input.roomInUse });
  const use = inUse.value === null ? `current use could not be read (${inUse.problem ?? "no answer"})` : `${inUse.value} ${unit} ${input.useWords}`;
  const verdict = quota.value === null ? "" : ` ${verdicts[status]}`;
  const sentence = `${input.needWords}; ${use}; ${quotaWords(quota.value, quota.source, unit)}.${verdict}`;
  const unread = inUse.value === null && quota.value !== null && status === "warn";
  const fix = unread
    ? "Re-run these checks; if current use still cannot be read, give the portal the read permissions docs/aws.md lists under Preflight."
    : quotaFix({ name: input.spec.name, code: quota.code ?? input.spec.quotaCode }, region, status, quota.value, projected, input.alternative);
  return { kind: "quota", key, label, unit, quota: quota.value, quotaSource: quota.source, inUse: inUse.value, needed, projected, status, sentence, ...(fix ? { fix } : {}), stage: "before", daysAhead: daysAhead.quota };
}

/**
 * The quota's newest increase request, and the button that asks for one when the line is not
 * green and no open request already asks for enough.
 */
async function withRequest(ctx: AwsContext, line: PreflightQuotaLine, spec: QuotaSpec, code: string | undefined): Promise<PreflightQuotaLine> {
  if (!code) return line;
  const request = await latestQuotaRequest(ctx, spec.serviceCode, code);
  const target = quotaTarget(line.projected);
  const asked = request && openRequestStatuses.has(request.status) && request.desired >= target;
  const canAsk = line.status !== "ok" && line.quota !== null && !asked;
  return { ...line, ...(request ? { request } : {}), ...(canAsk ? { action: { kind: "request-quota-increase", quotaCode: code, desired: target } } : {}) };
}

/** The service of one of the room's quotas by its code (the notebook type's is found by name), for an increase request. */
export async function roomQuotaService(ctx: AwsContext, quotaCode: string): Promise<string | undefined> {
  const fixed = Object.values(quotas).find((q) => q.quotaCode === quotaCode);
  if (fixed) return fixed.serviceCode;
  const typeSpec = notebookTypeQuota(ctx.config.notebookInstanceType);
  return (await readQuota(ctx, typeSpec)).code === quotaCode ? typeSpec.serviceCode : undefined;
}

/** Notebook instances that count against the per-type quota: those that run or are about to. */
const runningNotebook = new Set(["Pending", "InService", "Updating", "Stopping"]);

async function notebookInstances(ctx: AwsContext): Promise<NotebookInstanceSummary[]> {
  const all: NotebookInstanceSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.limiter.run("sagemaker", () => ctx.clients.sagemaker.send(new ListNotebookInstancesCommand({ MaxResults: 100, NextToken: nextToken })));
    all.push(...(page.NotebookInstances ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return all;
}

/** The On-Demand and Spot vCPU one environment takes, by where its workers run. */
export function vcpuByCapacity(perEnv: PreflightResult["environmentVcpu"], workerCapacity: Capacity): Record<Capacity, number> {
  const workers = round(perEnv.workers * perEnv.worker);
  return workerCapacity === "FARGATE_SPOT" ? { FARGATE: perEnv.scheduler, FARGATE_SPOT: workers } : { FARGATE: perEnv.total, FARGATE_SPOT: 0 };
}

/** Reads quotas, current use and what the room depends on, and compares them with what `attendees` environments need. */
export async function runPreflight(ctx: AwsContext, input: { attendees: number }): Promise<PreflightResult> {
  const { config } = ctx;
  const attendees = Math.max(0, Math.floor(input.attendees));
  // As it is in the repo: the sizes are the template's own, whatever a test transform does.
  const template = await readFile(path.join(config.templateDir, attendeeTemplateFile(config)), "utf8");
  const perEnv = environmentVcpu(template, config.defaultWorkers);
  const workerCapacity: Capacity = config.workerCapacity ?? (parameterDefault(template, "WorkerCapacity") === "FARGATE" ? "FARGATE" : "FARGATE_SPOT");
  const perCapacity = vcpuByCapacity(perEnv, workerCapacity);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

  const stacks = await reading("listing the event's stacks", () => eventAttendeeStacks(ctx.clients.cfn, ctx.limiter, config.eventId));
  const own = stacks.value?.length ?? 0;
  const clusterUse = await reading("reading running tasks", async () => {
    const use = noUse();
    if (config.mode === "event") {
      const cluster = await eventCluster(ctx);
      if (cluster) await runningVcpu(ctx, cluster, use);
      return use;
    }
    if (stacks.value === null) throw new Error(stacks.problem);
    for (const cluster of new Set(stacks.value.map((s) => outputsOf(s).ClusterName).filter(Boolean))) await runningVcpu(ctx, cluster, use);
    return use;
  });
  const where = config.mode === "event" ? "run in the event cluster" : "run in the portal's stacks";
  const fewer = "plan for fewer attendees";

  const ask = (input: QuotaLineInput) => withRequest(ctx, quotaLine(input, config.region), input.spec, input.quota.code ?? input.spec.quotaCode);

  const fargateLine = async (capacity: Capacity): Promise<PreflightQuotaLine> => {
    const used = clusterUse.value?.[capacity];
    // A task that does not report its size is counted at the default worker size, and the line says so.
    const inUse: Reading<number> = used ? { value: round(used.vcpu + used.unsized * perEnv.worker) } : { value: null, problem: clusterUse.problem };
    const needed = round(attendees * perCapacity[capacity]);
    const spot = capacity === "FARGATE_SPOT";
    const parts = spot
      ? `${perEnv.workers} Spot workers × ${perEnv.worker} vCPU`
      : workerCapacity === "FARGATE"
        ? `scheduler ${perEnv.scheduler} + ${perEnv.workers} × ${perEnv.worker} for the workers`
        : `the scheduler's ${perEnv.scheduler}; the workers run on Spot`;
    return ask(
      {
        key: spot ? "fargate-spot-vcpu" : "fargate-vcpu",
        label: spot ? "Fargate Spot vCPU" : "Fargate On-Demand vCPU",
        unit: "vCPU",
        spec: spot ? quotas.fargateSpotVcpu : quotas.fargateVcpu,
        quota: await readQuota(ctx, spot ? quotas.fargateSpotVcpu : quotas.fargateVcpu),
        inUse,
        needed,
        roomInUse: inUse.value ?? 0,
        needWords: `The room needs ${needed} vCPU (${plural(attendees, "attendee")} × ${perCapacity[capacity]} vCPU: ${parts})`,
        // The quota is the account's in the Region; the portal can list only the room's own clusters.
        useWords: `${used?.unsized ? `${where} (${plural(used.unsized, "task")} without a reported size counted at ${perEnv.worker} vCPU each)` : where}, not counting other Fargate work in this account and Region, which shares the quota`,
        alternative: fewer,
      });
  };

  const lines: PreflightLine[] = [await fargateLine("FARGATE")];
  if (workerCapacity === "FARGATE_SPOT") lines.push(await fargateLine("FARGATE_SPOT"));

  // Every attendee stack holds one notebook instance of the configured type.
  const notebooks = await reading("listing notebook instances", () => notebookInstances(ctx));
  const type = config.notebookInstanceType;
  const typeSpec = notebookTypeQuota(type);
  const notebookNeeds = `The room needs ${plural(attendees, "notebook instance")} (${type}), one per attendee stack (${own} exist already)`;
  lines.push(
    await ask(
      {
        key: "notebook-instances",
        label: "SageMaker notebook instances",
        unit: "notebook instances",
        spec: quotas.notebooks,
        quota: await readQuota(ctx, quotas.notebooks),
        inUse: { value: notebooks.value?.length ?? null, problem: notebooks.problem },
        needed: attendees,
        roomInUse: own,
        needWords: notebookNeeds,
        useWords: "exist in the region",
        alternative: `delete notebook instances that are no longer used, or ${fewer}`,
      }),
    await ask(
      {
        key: "notebook-instance-type",
        label: `SageMaker ${type} notebook instances`,
        unit: `${type} instances`,
        spec: typeSpec,
        quota: await readQuota(ctx, typeSpec),
        inUse: { value: notebooks.value?.filter((n) => n.InstanceType === type && runningNotebook.has(n.NotebookInstanceStatus ?? "")).length ?? null, problem: notebooks.problem },
        needed: attendees,
        roomInUse: own,
        needWords: notebookNeeds,
        useWords: "run in the region",
        alternative: `set PORTAL_NOTEBOOK_INSTANCE_TYPE to a type with room, or stop unused ${type} notebook instances`,
      }),
  );

  if (config.mode === "solo") {
    // Each solo stack holds one VPC and one Elastic IP (its NAT gateway's).
    const vpcs = await reading("counting VPCs", () =>
      countAll(async (token) => {
        const page = await ctx.limiter.run(accountReads, () => ctx.clients.ec2.send(new DescribeVpcsCommand({ NextToken: token })));
        return { items: page.Vpcs ?? [], next: page.NextToken };
      }),
    );
    const addresses = await reading("counting Elastic IPs", async () => {
      const page = await ctx.limiter.run(accountReads, () => ctx.clients.ec2.send(new DescribeAddressesCommand({})));
      return (page.Addresses ?? []).length;
    });
    const needs = `The room needs ${plural(attendees, "stack")}, one each (${own} exist already)`;
    lines.push(
      await ask(
        { key: "vpcs", label: "VPCs in the region", unit: "VPCs", spec: quotas.vpcs, quota: await readQuota(ctx, quotas.vpcs), inUse: vpcs, needed: attendees, roomInUse: own, needWords: needs, useWords: "exist in the region", alternative: "delete VPCs nothing uses" }),
      await ask(
        {
          key: "elastic-ips",
          label: "Elastic IPs in the region",
          unit: "Elastic IPs",
          spec: quotas.elasticIps,
          quota: await readQuota(ctx, quotas.elasticIps),
          inUse: addresses,
          needed: attendees,
          roomInUse: own,
          needWords: needs,
          useWords: "are allocated in the region",
          alternative: "release Elastic IPs nothing uses (aws ec2 describe-addresses lists them)",
        }),
    );
  }

  if (config.mode === "event") {
    // One build of the room's image at a time; a new account's ARM/Large concurrency may be 0.
    lines.push(
      await ask({
        key: "codebuild-arm-concurrency",
        label: "CodeBuild ARM/Large builds at once",
        unit: "builds",
        spec: quotas.codebuildArm,
        quota: await readQuota(ctx, quotas.codebuildArm),
        inUse: { value: 0 },
        needed: 1,
        roomInUse: 0,
        needWords: "The room's image builds once, on one ARM/Large machine",
        useWords: "run now for the room",
      }),
    );
  }

  lines.push(
    await checkLinkedRole(ctx, "ecs.amazonaws.com"),
    await checkLinkedRole(ctx, "servicequotas.amazonaws.com"),
    await checkCostAllocationTag(ctx),
  );
  if (config.mode === "event") lines.push(await checkBudget(ctx));

  lines.push(
    await checkAccessStack(ctx),
    await checkRoomImage(ctx),
    await checkNotebookCommit(ctx),
    await checkEra5Months(ctx),
    checkEra5Region(config.region),
  );

  return { mode: config.mode, region: config.region, attendees, environmentVcpu: perEnv, workerCapacity, lines, checkedAt: new Date().toISOString() };
}
