import { describe, expect, it } from "vitest";
import type { TaskState } from "@/lib/providers/contract";
import { estimateCost } from "./estimate";
import { CURRENT_PRICES as P, type PriceTable } from "./prices";

/** A table written before the public IPv4 charge and the data prices existed (x86 Fargate, us-east-1). */
const before2026_12: PriceTable = {
  version: "2026-11-01",
  region: "us-east-1",
  currency: "USD",
  fargate: { vcpuHour: 0.04048, gbHour: 0.004445 },
  fargateSpot: { vcpuHour: 0.01275, gbHour: 0.0014 },
  natGatewayHour: 0.045,
  notebookHour: { "ml.t3.medium": 0.05 },
};

const task = (over: Partial<TaskState>): TaskState => ({
  id: "t",
  role: "worker",
  lastStatus: "RUNNING",
  desiredStatus: "RUNNING",
  cpu: 1024,
  memory: 8192,
  ...over,
});

const solo = { workerCapacity: "FARGATE" as const, notebookInstanceType: "ml.t3.medium", natGateway: true };

describe("estimateCost", () => {
  it("charges a one-vCPU 8 GB worker for the hours it ran, plus notebook, NAT and the NAT's public address for the environment's life", () => {
    const est = estimateCost(
      {
        createdAt: "2026-11-28T10:00:00Z",
        now: new Date("2026-11-28T12:00:00Z"),
        tasks: [task({ startedAt: "2026-11-28T11:00:00Z" })],
      },
      solo,
    );
    const workerHour = P.fargate.vcpuHour + 8 * P.fargate.gbHour;
    const fixed = 0.05 + P.natGatewayHour + 0.005;
    expect(est.accruedUsd).toBeCloseTo(workerHour + 2 * fixed, 4);
    expect(est.hourlyUsd).toBeCloseTo(workerHour + fixed, 4);
  });

  it("charges the scheduler's public IPv4 address while it runs, and reports made with a table from before the charge keep their figures", () => {
    const input = {
      createdAt: "2026-11-28T10:00:00Z",
      now: new Date("2026-11-28T11:00:00Z"),
      tasks: [task({ role: "scheduler", cpu: 1024, memory: 4096, startedAt: "2026-11-28T10:00:00Z" })],
    };
    const event = { ...solo, natGateway: false };
    const schedulerHour = P.fargate.vcpuHour + 4 * P.fargate.gbHour;
    expect(estimateCost(input, event).hourlyUsd).toBeCloseTo(schedulerHour + 0.005 + 0.05, 4);
    const old = before2026_12;
    expect(estimateCost(input, event, old).hourlyUsd).toBeCloseTo(old.fargate.vcpuHour + 4 * old.fargate.gbHour + 0.05, 4);
    expect(P.region).toBe("us-west-2");
  });

  it("prices Spot workers lower and stops charging when the environment is deleted", () => {
    const input = {
      createdAt: "2026-11-28T10:00:00Z",
      deletedAt: "2026-11-28T11:00:00Z",
      now: new Date("2026-11-28T15:00:00Z"),
      tasks: [task({ startedAt: "2026-11-28T10:00:00Z", stoppedAt: "2026-11-28T11:00:00Z", lastStatus: "STOPPED" })],
    };
    const onDemand = estimateCost(input, { ...solo, natGateway: false });
    const spot = estimateCost(input, { ...solo, natGateway: false, workerCapacity: "FARGATE_SPOT" });
    expect(spot.accruedUsd).toBeLessThan(onDemand.accruedUsd);
    expect(onDemand.hourlyUsd).toBe(0);
  });
});

describe("the parts a bill has besides running tasks", () => {
  it("adds the notebook's volume, the data the NAT processes and the log lines ingested, each by its own price", () => {
    const input = {
      createdAt: "2026-11-28T10:00:00Z",
      now: new Date("2026-11-28T20:00:00Z"),
      tasks: [task({ startedAt: "2026-11-28T10:00:00Z" }), task({ id: "s", role: "scheduler", cpu: 1024, memory: 4096, startedAt: "2026-11-28T10:00:00Z" })],
      logBytes: 2e9,
    };
    const bare = estimateCost(input, { ...solo, natGateway: false });
    const full = estimateCost(input, { ...solo, natGateway: false, notebookVolumeGb: 20, natData: { gbPerTask: 0.001, gbPerNotebook: 0.5 } });
    expect(full.parts.notebook - bare.parts.notebook).toBeCloseTo((10 * 20 * 0.14) / 730, 4);
    expect(full.parts.natData).toBeCloseTo((2 * 0.001 + 0.5) * 0.045, 4);
    expect(full.parts.logs).toBeCloseTo(2 * 0.5, 4);
    expect(full.accruedUsd).toBeCloseTo(full.parts.tasks + full.parts.notebook + full.parts.network + full.parts.natData + full.parts.logs, 3);
  });

  it("keeps a report made with a table that had no such prices at its old figure", () => {
    const input = { createdAt: "2026-11-28T10:00:00Z", now: new Date("2026-11-28T12:00:00Z"), tasks: [], logBytes: 5e9 };
    const old = before2026_12;
    const est = estimateCost(input, { ...solo, natGateway: false, notebookVolumeGb: 20, natData: { gbPerTask: 1, gbPerNotebook: 1 } }, old);
    expect(est.accruedUsd).toBeCloseTo(2 * old.notebookHour["ml.t3.medium"], 4);
  });
});
