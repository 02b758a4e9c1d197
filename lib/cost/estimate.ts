import type { TaskState } from "@/lib/providers/types";
import { CURRENT_PRICES, type PriceTable } from "./prices";

export interface CostAssumptions {
  workerCapacity: "FARGATE" | "FARGATE_SPOT";
  notebookInstanceType: string;
  /** Solo mode: each environment pays for its own NAT gateway. */
  natGateway: boolean;
}

export interface CostEstimate {
  hourlyUsd: number;
  accruedUsd: number;
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
  input: { tasks: TaskState[]; createdAt: string; deletedAt?: string | null; now?: Date },
  assumptions: CostAssumptions,
  prices: PriceTable = CURRENT_PRICES,
): CostEstimate {
  const now = (input.now ?? new Date()).getTime();
  const end = input.deletedAt ? Date.parse(input.deletedAt) : now;
  const fixedRate =
    (prices.notebookHour[assumptions.notebookInstanceType] ?? prices.notebookHour["ml.t3.medium"]) +
    (assumptions.natGateway ? prices.natGatewayHour + (prices.publicIpv4Hour ?? 0) : 0);
  let accrued = (Math.max(0, end - Date.parse(input.createdAt)) / HOUR_MS) * fixedRate;
  let hourly = input.deletedAt ? 0 : fixedRate;
  for (const task of input.tasks) {
    if (!task.startedAt) continue;
    const rate = taskRate(task, prices, assumptions);
    const stop = task.stoppedAt ? Date.parse(task.stoppedAt) : end;
    accrued += (Math.max(0, stop - Date.parse(task.startedAt)) / HOUR_MS) * rate;
    if (task.lastStatus === "RUNNING" && !input.deletedAt) hourly += rate;
  }
  return { hourlyUsd: round(hourly), accruedUsd: round(accrued) };
}

const round = (n: number) => Math.round(n * 10_000) / 10_000;

/** What one task run on its own costs (a one-off RunTask on Fargate On-Demand, private address only): its size times its run time. */
export function oneOffTaskCost(task: Pick<TaskState, "cpu" | "memory" | "startedAt" | "stoppedAt">, prices: PriceTable = CURRENT_PRICES): number {
  if (!task.startedAt || !task.stoppedAt) return 0;
  const hours = Math.max(0, Date.parse(task.stoppedAt) - Date.parse(task.startedAt)) / HOUR_MS;
  return round(hours * ((task.cpu / 1024) * prices.fargate.vcpuHour + (task.memory / 1024) * prices.fargate.gbHour));
}
