import "server-only";
import { getEnvironment } from "@/lib/db/environment-queries";
import { addCostSample, recordUsage, usageByEnvironment } from "@/lib/db/room-queries";
import type { UsageMeter } from "@/lib/providers/contract";
import type { Watchers } from "@/lib/environments/watchers";

/**
 * How often an environment's use is written while it runs: the facilitator sees it once a
 * minute (with the cost samples), and a room of 200 makes about 100 snapshots a second.
 */
const RECORD_EVERY_MS = 30_000;

/** Keeps each environment's use (CPU seconds locally, estimated dollars on AWS) as its poller sees it. */
export function trackUsage(watchers: Watchers, meter: UsageMeter, now: () => number = Date.now): () => void {
  const recordedAt = new Map<string, number>();
  return watchers.onSnapshot((envId, snapshot) => {
    const last = recordedAt.get(envId);
    // The last word of a deleted environment is always written: it is what the final report shows.
    if (last !== undefined && now() - last < RECORD_EVERY_MS && snapshot.status !== "DELETE_COMPLETE") return;
    const row = getEnvironment(envId);
    if (!row) return;
    recordedAt.set(envId, now());
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
