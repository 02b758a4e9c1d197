import "server-only";
import { z } from "zod";
import { audit, portalActor, type Actor } from "@/lib/audit";
import { listLiveEnvironments } from "@/lib/db/environment-queries";
import { getEventSettings, markEventEnded, saveEventSettings } from "@/lib/db/room-queries";
import { teardownEnvironment, type EnvironmentDeps } from "@/lib/environments";
import { isDeletable } from "@/lib/status";
import type { EventInfo } from "@/lib/stream/protocol";
import type { RoomSignal } from "./signal";

// The event itself: its name and times, and the promise that nothing outlives its end.

export function eventInfo(defaultName: string): EventInfo {
  const s = getEventSettings(defaultName);
  return { name: s.name, startsAt: s.startsAt, endsAt: s.endsAt, endedAt: s.endedAt };
}

const isoOrEmpty = z
  .string()
  .trim()
  .max(64, "Enter a valid date and time.")
  .transform((v) => (v === "" ? null : v))
  .refine((v) => v === null || !Number.isNaN(Date.parse(v)), "Enter a valid date and time.");

export const eventSettingsSchema = z
  .object({
    name: z.string().trim().min(1, "Give the event a name.").max(120, "Keep the name under 120 characters."),
    startsAt: isoOrEmpty,
    endsAt: isoOrEmpty,
  })
  .refine((e) => !e.startsAt || !e.endsAt || Date.parse(e.endsAt) > Date.parse(e.startsAt), {
    message: "The end must come after the start.",
    path: ["endsAt"],
  });

export function saveEvent(signal: RoomSignal, actor: Actor, input: z.infer<typeof eventSettingsSchema>) {
  const settings = {
    name: input.name,
    startsAt: input.startsAt ? new Date(input.startsAt).toISOString() : null,
    endsAt: input.endsAt ? new Date(input.endsAt).toISOString() : null,
  };
  saveEventSettings(settings);
  audit(actor, "event-settings", { detail: JSON.stringify(settings) });
  signal.emit({ kind: "event-settings" });
  return settings;
}

/**
 * At the event's end, delete everything still running, and keep retrying what fails
 * (this runs on a timer), so no stack outlives the room. Returns how many deletions started.
 */
export async function enforceEventEnd(deps: EnvironmentDeps & { signal: RoomSignal; eventName: string }, now = new Date()): Promise<number> {
  const settings = getEventSettings(deps.eventName);
  if (!settings.endsAt || Date.parse(settings.endsAt) > now.getTime()) return 0;
  let started = 0;
  for (const row of listLiveEnvironments()) {
    if (!isDeletable(row.status)) continue;
    try {
      await teardownEnvironment(deps, portalActor, row.id, "event-end-teardown");
      started++;
    } catch {
      // Recorded in the audit log; the next round tries again.
    }
  }
  if (!settings.endedAt) {
    markEventEnded(now.toISOString());
    deps.signal.emit({ kind: "event-settings" });
  }
  return started;
}
