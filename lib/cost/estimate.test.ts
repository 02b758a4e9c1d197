import { describe, expect, it } from "vitest";
import type { TaskState } from "@/lib/providers/types";
import { estimateCost } from "./estimate";
import { PRICES_2026_11_US_EAST_1 as P } from "./prices";

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
  it("charges a one-vCPU 8 GB worker for the hours it ran, plus notebook and NAT for the environment's life", () => {
    const est = estimateCost(
      {
        createdAt: "2026-11-28T10:00:00Z",
        now: new Date("2026-11-28T12:00:00Z"),
        tasks: [task({ startedAt: "2026-11-28T11:00:00Z" })],
      },
      solo,
    );
    const workerHour = P.fargate.vcpuHour + 8 * P.fargate.gbHour;
    expect(est.accruedUsd).toBeCloseTo(workerHour + 2 * (0.05 + P.natGatewayHour), 4);
    expect(est.hourlyUsd).toBeCloseTo(workerHour + 0.05 + P.natGatewayHour, 4);
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
