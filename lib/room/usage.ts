import "server-only";
import { getEnvironment } from "@/lib/db/queries";
import { addCostSample, recordUsage, usageByEnvironment } from "@/lib/db/room-queries";
import type { UsageMeter } from "@/lib/providers/types";
import type { StreamHub } from "@/lib/stream/hub";

/** Keeps each environment's use (CPU seconds locally, estimated dollars on AWS) as its poller sees it. */
export function trackUsage(hub: StreamHub, meter: UsageMeter): () => void {
  return hub.onSnapshot((envId, snapshot) => {
    const row = getEnvironment(envId);
    if (!row) return;
    const amount = meter.measure({ snapshot, createdAt: row.createdAt, deletedAt: row.deletedAt });
    recordUsage(envId, meter.unit === "usd" ? { costUsd: amount, cpuSeconds: 0 } : { costUsd: 0, cpuSeconds: amount });
  });
}

/** Adds a point to the room's total-over-time chart. */
export function sampleRoomUsage(meter: UsageMeter): void {
  let total = 0;
  for (const use of usageByEnvironment().values()) total += meter.unit === "usd" ? use.costUsd : use.cpuSeconds;
  addCostSample(Math.round(total * 10_000) / 10_000);
}
