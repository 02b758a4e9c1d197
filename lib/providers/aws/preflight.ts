import { readFile } from "node:fs/promises";
import path from "node:path";
import { DescribeAddressesCommand, DescribeVpcsCommand } from "@aws-sdk/client-ec2";
import { DescribeTasksCommand, ListTasksCommand } from "@aws-sdk/client-ecs";
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand } from "@aws-sdk/client-service-quotas";
import type { HeadroomStatus, PreflightLine, PreflightResult, QuotaSource } from "../types";
import type { AwsContext } from "./context";
import { toProviderError } from "./errors";
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
  quotaCode: string;
  /** What AWS documents as the default for every account, used (and said) when nothing answers. */
  documentedDefault?: number;
}

const quotas = {
  fargateVcpu: { serviceCode: "fargate", quotaCode: "L-3032A538" },
  vpcs: { serviceCode: "vpc", quotaCode: "L-F678F1CE", documentedDefault: 5 },
  elasticIps: { serviceCode: "ec2", quotaCode: "L-0263D0A3", documentedDefault: 5 },
} satisfies Record<string, QuotaSpec>;

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

async function readQuota(ctx: AwsContext, spec: QuotaSpec): Promise<{ value: number | null; source: QuotaSource }> {
  const ask = { ServiceCode: spec.serviceCode, QuotaCode: spec.quotaCode };
  const applied = await reading("reading a service quota", () =>
    ctx.limiter.run(accountReads, () => ctx.clients.quotas.send(new GetServiceQuotaCommand(ask))),
  );
  if (typeof applied.value?.Quota?.Value === "number") return { value: applied.value.Quota.Value, source: "account" };
  const fallback = await reading("reading a default service quota", () =>
    ctx.limiter.run(accountReads, () => ctx.clients.quotas.send(new GetAWSDefaultServiceQuotaCommand(ask))),
  );
  if (typeof fallback.value?.Quota?.Value === "number") return { value: fallback.value.Quota.Value, source: "aws-default" };
  if (spec.documentedDefault !== undefined) return { value: spec.documentedDefault, source: "assumed" };
  return { value: null, source: "unknown" };
}

async function eventCluster(ctx: AwsContext): Promise<string | undefined> {
  const name = ctx.config.eventStack;
  const stack = name ? await describeStack(ctx.clients.cfn, ctx.limiter, name) : undefined;
  return stack ? outputsOf(stack).ClusterName : undefined;
}

interface ClusterUse {
  vcpu: number;
  /** RUNNING tasks that did not report their size (moto never does; Fargate always does). */
  unsized: number;
}

/** vCPU of the RUNNING tasks in one cluster: ListTasks pages, DescribeTasks in batches of 100. */
async function runningVcpu(ctx: AwsContext, cluster: string): Promise<ClusterUse> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.limiter.run("ecs-read", () =>
      ctx.clients.ecs.send(new ListTasksCommand({ cluster, desiredStatus: "RUNNING", maxResults: 100, nextToken })),
    );
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const use: ClusterUse = { vcpu: 0, unsized: 0 };
  for (let i = 0; i < arns.length; i += 100) {
    const batch = arns.slice(i, i + 100);
    const { tasks } = await ctx.limiter.run("ecs-read", () => ctx.clients.ecs.send(new DescribeTasksCommand({ cluster, tasks: batch })));
    for (const task of tasks ?? []) {
      if (task.lastStatus !== "RUNNING") continue;
      const units = Number(task.cpu ?? 0);
      if (units > 0) use.vcpu += units / 1024;
      else use.unsized += 1;
    }
  }
  return use;
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

function verdict(status: HeadroomStatus, quota: number | null, projected: number): string {
  if (quota === null) return "Check the quota in the Service Quotas console before the event.";
  if (status === "fail") return `That is ${round(projected - quota)} over: request an increase in Service Quotas before the event.`;
  if (status === "warn") return "That is close to the limit; other work in the account uses the same quota.";
  return "There is room.";
}

function line(
  key: PreflightLine["key"],
  label: string,
  unit: string,
  quota: { value: number | null; source: QuotaSource },
  inUse: Reading<number>,
  needed: number,
  roomInUse: number,
  needWords: string,
  useWords: string,
): PreflightLine {
  const { projected, status } = assessHeadroom({ quota: quota.value, inUse: inUse.value, needed, roomInUse });
  const use = inUse.value === null ? `current use could not be read (${inUse.problem ?? "no answer"})` : `${inUse.value} ${unit} ${useWords}`;
  const sentence = `${needWords}; ${use}; ${quotaWords(quota.value, quota.source, unit)}. ${verdict(status, quota.value, projected)}`;
  return { key, label, unit, quota: quota.value, quotaSource: quota.source, inUse: inUse.value, needed, projected, status, sentence };
}

/** Reads quotas and current use, and compares them with what `attendees` environments need. */
export async function runPreflight(ctx: AwsContext, input: { attendees: number }): Promise<PreflightResult> {
  const { config } = ctx;
  const attendees = Math.max(0, Math.floor(input.attendees));
  // As it is in the repo: the sizes are the template's own, whatever a test transform does.
  const template = await readFile(path.join(config.templateDir, attendeeTemplateFile(config)), "utf8");
  const perEnv = environmentVcpu(template, config.defaultWorkers);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

  const stacks = await reading("listing the event's stacks", () => eventAttendeeStacks(ctx.clients.cfn, ctx.limiter, config.eventId));
  const clusterUse = await reading("reading running tasks", async () => {
    if (config.mode === "event") {
      const cluster = await eventCluster(ctx);
      return cluster ? runningVcpu(ctx, cluster) : { vcpu: 0, unsized: 0 };
    }
    if (stacks.value === null) throw new Error(stacks.problem);
    const total: ClusterUse = { vcpu: 0, unsized: 0 };
    for (const cluster of new Set(stacks.value.map((s) => outputsOf(s).ClusterName).filter(Boolean))) {
      const use = await runningVcpu(ctx, cluster);
      total.vcpu += use.vcpu;
      total.unsized += use.unsized;
    }
    return total;
  });
  // A task that does not report its size is counted at the default worker size, and the line says so.
  const unsized = clusterUse.value?.unsized ?? 0;
  const vcpuInUse: Reading<number> = clusterUse.value
    ? { value: round(clusterUse.value.vcpu + unsized * perEnv.worker) }
    : { value: null, problem: clusterUse.problem };
  const where = config.mode === "event" ? "run in the event cluster" : "run in the portal's stacks";
  const fargateNeed = round(attendees * perEnv.total);
  const lines: PreflightLine[] = [
    line(
      "fargate-vcpu",
      "Fargate On-Demand vCPU",
      "vCPU",
      await readQuota(ctx, quotas.fargateVcpu),
      vcpuInUse,
      fargateNeed,
      vcpuInUse.value ?? 0,
      `The room needs ${fargateNeed} vCPU (${plural(attendees, "attendee")} × ${perEnv.total} vCPU: scheduler ${perEnv.scheduler} + ${perEnv.workers} × ${perEnv.worker} for the workers)`,
      unsized ? `${where} (${plural(unsized, "task")} without a reported size counted at ${perEnv.worker} vCPU each)` : where,
    ),
  ];

  if (config.mode === "solo") {
    // Each solo stack holds one VPC and one Elastic IP (its NAT gateway's).
    const own = stacks.value?.length ?? 0;
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
      line("vpcs", "VPCs in the region", "VPCs", await readQuota(ctx, quotas.vpcs), vpcs, attendees, own, needs, "exist in the region"),
      line("elastic-ips", "Elastic IPs in the region", "Elastic IPs", await readQuota(ctx, quotas.elasticIps), addresses, attendees, own, needs, "are allocated in the region"),
    );
  }

  return { mode: config.mode, region: config.region, attendees, environmentVcpu: perEnv, lines, checkedAt: new Date().toISOString() };
}
