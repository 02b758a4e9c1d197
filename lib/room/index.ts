import "server-only";
import { portalConfig } from "@/lib/config";
import { audit, getEnvironment, listLiveEnvironments } from "@/lib/db/queries";
import { addCostSample, getEventSettings, markEventEnded, recordUsage, usageByEnvironment } from "@/lib/db/room-queries";
import { assumptionsFromEnv, estimateCost } from "@/lib/cost/estimate";
import { getProvider } from "@/lib/providers";
import { getHub, toRef } from "@/lib/stream/hub";
import { emitRoomEvent } from "@/lib/stream/room-signal";
import { getRoomStream } from "./room-stream";

const COST_SAMPLE_MS = 60_000;
const END_CHECK_MS = 15_000;
const FAILED_DELETE = new Set(["DELETE_FAILED"]);

/** Keeps each environment's accrued cost (or CPU seconds, locally) as its poller sees it. */
function trackUsage(): void {
  const assumptions = assumptionsFromEnv();
  getHub().onSnapshot((envId, snapshot) => {
    const row = getEnvironment(envId);
    if (!row) return;
    const { accruedUsd } = estimateCost({ tasks: snapshot.tasks, createdAt: row.createdAt, deletedAt: row.deletedAt }, assumptions);
    recordUsage(envId, getProvider().name === "local" ? 0 : accruedUsd, snapshot.usage?.cpuSeconds ?? 0);
  });
}

function sampleRoomCost(): void {
  let total = 0;
  const local = getProvider().name === "local";
  for (const use of usageByEnvironment().values()) total += local ? use.cpuSeconds : use.costUsd;
  addCostSample(Math.round(total * 10_000) / 10_000);
  getRoomStream().publishCost();
}

/**
 * At the event's end, delete everything still running, and keep retrying what fails,
 * so no stack outlives the room.
 */
export async function enforceEventEnd(now = new Date()): Promise<number> {
  const settings = getEventSettings(portalConfig().EVENT_NAME);
  if (!settings.endsAt || Date.parse(settings.endsAt) > now.getTime()) return 0;
  const live = listLiveEnvironments();
  let started = 0;
  for (const row of live) {
    if (row.status === "DELETE_IN_PROGRESS") continue;
    if (row.status.startsWith("DELETE") && !FAILED_DELETE.has(row.status)) continue;
    try {
      await getProvider().destroy(toRef(row), "the portal at the end of the event");
      audit({ actorId: "system", actorRole: "system", action: "event-end-teardown", target: row.id, result: "ok", detail: row.stackName });
      started++;
    } catch (err) {
      audit({ actorId: "system", actorRole: "system", action: "event-end-teardown", target: row.id, result: "error", detail: (err as Error).message });
    }
    getHub().stream(row).wake();
  }
  if (!settings.endedAt) {
    markEventEnded(now.toISOString());
    emitRoomEvent({ kind: "event-settings" });
  }
  return started;
}

const holder = globalThis as unknown as { __roomStarted?: boolean };

export function startRoom(): void {
  if (holder.__roomStarted) return;
  holder.__roomStarted = true;
  getRoomStream();
  trackUsage();
  setInterval(sampleRoomCost, COST_SAMPLE_MS).unref();
  setInterval(() => void enforceEventEnd().catch((e) => console.error("event end:", (e as Error).message)), END_CHECK_MS).unref();
}
