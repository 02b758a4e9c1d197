import "server-only";
import { z } from "zod";
import { audit, type Actor } from "@/lib/audit";
import { listLiveEnvironments } from "@/lib/db/environment-queries";
import { getAttendee } from "@/lib/db/attendee-queries";
import { attendeesOnLab } from "@/lib/db/lab-queries";
import { createAnnouncement, createHint } from "@/lib/db/room-queries";
import { PortalError } from "@/lib/errors";
import { labSlugSchema } from "@/lib/labs/progress";
import { teardownEnvironment, type EnvironmentDeps } from "@/lib/environments";
import { isDeletable } from "@/lib/status";
import type { RoomSignal } from "./signal";

/** Starts deleting every live environment; each one's progress then shows on the roster. */
export async function teardownAll(deps: EnvironmentDeps, actor: Actor) {
  const targets = listLiveEnvironments().filter((e) => isDeletable(e.status));
  const failed: { envId: string; error: string }[] = [];
  for (const env of targets) {
    try {
      await teardownEnvironment(deps, actor, env.id);
    } catch (err) {
      failed.push({ envId: env.id, error: err instanceof Error ? err.message : "failed" });
    }
  }
  audit(actor, "teardown-all", {
    ok: failed.length === 0,
    detail: `${targets.length} environment(s), ${failed.length} failed to start deleting`,
  });
  return { envIds: targets.map((e) => e.id), failed };
}

export const announcementSchema = z
  .string()
  .trim()
  .min(1, "Write a message first.")
  .max(280, "Keep announcements under 280 characters.");

export function announce(signal: RoomSignal, actor: Actor, message: string) {
  const a = createAnnouncement(message);
  audit(actor, "announce", { target: String(a.id), detail: message });
  signal.emit({ kind: "announcement", id: a.id, message: a.message, createdAt: a.createdAt });
  return a;
}

const attendeeIdSchema = z.string().min(1, "No such attendee.").max(64, "No such attendee.");

/** A hint: to everyone on one lab, or to one attendee (exactly one of the two). */
export const hintSchema = z
  .object({ message: announcementSchema, lab: labSlugSchema.optional(), attendeeId: attendeeIdSchema.optional() })
  .refine((h) => (h.lab === undefined) !== (h.attendeeId === undefined), "Send a hint to one lab or to one attendee.");

/** Sends a hint that arrives like an announcement, but only on the pages of those it is for. */
export function sendHint(signal: RoomSignal, actor: Actor, hint: z.infer<typeof hintSchema>) {
  let to: string[];
  if (hint.lab) {
    to = attendeesOnLab(hint.lab);
    if (to.length === 0) throw new PortalError("bad_request", "Nobody is on that lab right now.");
  } else {
    const attendee = getAttendee(hint.attendeeId!);
    if (!attendee || attendee.removedAt) throw new PortalError("not_found", "No such attendee.");
    to = [attendee.id];
  }
  const sent = createHint(hint.message, to, hint.lab ?? null);
  audit(actor, "hint", { target: hint.lab ? `lab ${hint.lab}` : to[0], detail: `to ${to.length} attendee(s): ${hint.message}` });
  signal.emit({ kind: "hint", id: sent.id, message: sent.message, createdAt: sent.createdAt, to });
  return { id: sent.id, recipients: to.length };
}
