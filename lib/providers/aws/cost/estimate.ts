import type { TaskState } from "@/lib/providers/contract";
import { CURRENT_PRICES, type PriceTable } from "./prices";

export interface CostAssumptions {
  workerCapacity: "FARGATE" | "FARGATE_SPOT";
  notebookInstanceType: string;
  /** Solo mode: each environment pays for its own NAT gateway. */
  natGateway: boolean;
  /** The notebook's ML storage volume (attendee.yaml's VolumeSizeInGB). */
  notebookVolumeGb?: number;
  /** What goes through the NAT gateway (docs/cost.md, "What the estimate assumes"). */
  natData?: NatDataAssumption;
}

/**
 * Bytes the NAT gateway processes for one environment. Image layers and ERA5 come from S3
 * in the region, which the templates' S3 gateway endpoint serves without the NAT; what
 * crosses it is a task's pull of the image's manifest from ECR's API, and the notebook's
 * first-start download of its kernel's wheels from PyPI.
 */
export interface NatDataAssumption {
  gbPerTask: number;
  gbPerNotebook: number;
}

export const natDataAssumption: NatDataAssumption = { gbPerTask: 0.001, gbPerNotebook: 0.5 };

export interface CostEstimate {
  hourlyUsd: number;
  accruedUsd: number;
  /** The accrued dollars by kind: Fargate tasks, the notebook and its volume, fixed network costs, data through the NAT, log ingestion. */
  parts: { tasks: number; notebook: number; network: number; natData: number; logs: number };
}

const HOUR_MS = 3_600_000;

function taskRate(task: TaskState, prices: PriceTable, a: CostAssumptions): number {
  const rates = task.role === "worker" && a.workerCapacity === "FARGATE_SPOT" ? prices.fargateSpot : prices.fargate;
  // The scheduler runs with a public address (its dashboard); workers have none.
  const address = task.role === "scheduler" ? (prices.publicIpv4Hour ?? 0) : 0;
  return (task.cpu / 1024) * rates.vcpuHour + (task.memory / 1024) * rates.gbHour + address;
}

/**
 * What an environment costs per hour now, and has cost since it was created: every
 * task from its start to its stop (or now, the scheduler with its public IPv4 address),
 * plus the notebook and, in solo mode, the NAT gateway and its Elastic IP for the
 * environment's whole life.
 */
export function estimateCost(
  input: { tasks: TaskState[]; createdAt: string; deletedAt?: string | null; now?: Date; logBytes?: number },
  assumptions: CostAssumptions,
  prices: PriceTable = CURRENT_PRICES,
): CostEstimate {
  const now = (input.now ?? new Date()).getTime();
  const end = input.deletedAt ? Date.parse(input.deletedAt) : now;
  const lifeHours = Math.max(0, end - Date.parse(input.createdAt)) / HOUR_MS;
  const notebookRate =
    (prices.notebookHour[assumptions.notebookInstanceType] ?? prices.notebookHour["ml.t3.medium"]) +
    ((assumptions.notebookVolumeGb ?? 0) * (prices.notebookVolumeGbMonth ?? 0)) / HOURS_PER_MONTH;
  const networkRate = assumptions.natGateway ? prices.natGatewayHour + (prices.publicIpv4Hour ?? 0) : 0;
  const parts = { tasks: 0, notebook: lifeHours * notebookRate, network: lifeHours * networkRate, natData: 0, logs: 0 };
  let hourly = input.deletedAt ? 0 : notebookRate + networkRate;
  let started = 0;
  for (const task of input.tasks) {
    if (!task.startedAt) continue;
    started++;
    const rate = taskRate(task, prices, assumptions);
    const stop = task.stoppedAt ? Date.parse(task.stoppedAt) : end;
    parts.tasks += (Math.max(0, stop - Date.parse(task.startedAt)) / HOUR_MS) * rate;
    if (task.lastStatus === "RUNNING" && !input.deletedAt) hourly += rate;
  }
  const nat = assumptions.natData;
  if (nat) parts.natData = (started * nat.gbPerTask + nat.gbPerNotebook) * (prices.natGatewayGb ?? 0);
  parts.logs = ((input.logBytes ?? 0) / 1e9) * (prices.logsIngestGb ?? 0);
  const accrued = parts.tasks + parts.notebook + parts.network + parts.natData + parts.logs;
  return {
    hourlyUsd: round(hourly),
    accruedUsd: round(accrued),
    parts: { tasks: round(parts.tasks), notebook: round(parts.notebook), network: round(parts.network), natData: round(parts.natData), logs: round(parts.logs) },
  };
}

const HOURS_PER_MONTH = 730;

const round = (n: number) => Math.round(n * 10_000) / 10_000;

/** What one task run on its own costs (a one-off RunTask on Fargate On-Demand, private address only): its size times its run time. */
export function oneOffTaskCost(task: Pick<TaskState, "cpu" | "memory" | "startedAt" | "stoppedAt">, prices: PriceTable = CURRENT_PRICES): number {
  if (!task.startedAt || !task.stoppedAt) return 0;
  const hours = Math.max(0, Date.parse(task.stoppedAt) - Date.parse(task.startedAt)) / HOUR_MS;
  return round(hours * ((task.cpu / 1024) * prices.fargate.vcpuHour + (task.memory / 1024) * prices.fargate.gbHour));
}
