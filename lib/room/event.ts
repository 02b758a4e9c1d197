import "server-only";
import { z } from "zod";
import { audit, portalActor, type Actor } from "@/lib/audit";
import { listLiveEnvironments } from "@/lib/db/environment-queries";
import { getEventSettings, markEventEnded, saveEventSettings } from "@/lib/db/room-queries";
import { teardownEnvironment, type EnvironmentDeps } from "@/lib/environments";
import type { Provider } from "@/lib/providers/contract";
import { REHEARSAL_ATTENDEE_ID } from "@/lib/rehearsal/phases";
import { isDeletable, isGone } from "@/lib/status";
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
  started += await endRehearsalStacks(deps.provider, settings.endsAt).catch((error: unknown) => {
    // The next round lists again.
    console.error("event end: could not list the rehearsal's stacks:", error instanceof Error ? error.message : error);
    return 0;
  });
  if (!settings.endedAt) {
    markEventEnded(now.toISOString());
    deps.signal.emit({ kind: "event-settings" });
  }
  return started;
}

/** Event ends at which the cloud was seen to hold no rehearsal stack any more: not listed again. */
const rehearsalsCleared = new Set<string>();

/**
 * A dress rehearsal's stack has no environment row: the rehearsal tears it down itself, unless
 * the process running it stopped first. At the event's end any such stack still standing goes
 * too, and each round asks again until the cloud holds none.
 */
async function endRehearsalStacks(provider: Provider, endsAt: string): Promise<number> {
  if (!provider.listStacks || rehearsalsCleared.has(endsAt)) return 0;
  const left = (await provider.listStacks()).filter((s) => s.attendeeId === REHEARSAL_ATTENDEE_ID && !isGone(s.status));
  if (!left.length) rehearsalsCleared.add(endsAt);
  let started = 0;
  for (const stack of left.filter((s) => isDeletable(s.status))) {
    const ref = { id: stack.environmentId ?? stack.stackName, stackName: stack.stackName, attendeeId: REHEARSAL_ATTENDEE_ID, attendeeEmail: "rehearsal@portal.invalid" };
    try {
      await provider.destroy(ref, "the portal at the end of the event");
      audit(portalActor, "event-end-teardown", { target: stack.stackName, ok: true, detail: "a dress rehearsal's stack left standing" });
      started++;
    } catch (error) {
      audit(portalActor, "event-end-teardown", { target: stack.stackName, ok: false, detail: error instanceof Error ? error.message : String(error) });
    }
  }
  return started;
}

