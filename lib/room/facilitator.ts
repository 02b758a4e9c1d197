import "server-only";
import { z } from "zod";
import type { Viewer } from "@/lib/auth/session";
import { audit, listLiveEnvironments } from "@/lib/db/queries";
import { createAnnouncement, saveEventSettings } from "@/lib/db/room-queries";
import { teardownEnvironment } from "@/lib/environments";
import { PortalError } from "@/lib/errors";
import { emitRoomEvent } from "@/lib/stream/room-signal";

export function requireFacilitatorRole(viewer: Viewer): void {
  if (viewer.role !== "facilitator") throw new PortalError("forbidden", "Only the facilitator can do that.");
}

/** Starts deleting every live environment; each one's progress then shows on the roster. */
export async function teardownAll(viewer: Viewer) {
  requireFacilitatorRole(viewer);
  const targets = listLiveEnvironments().filter((e) => e.status !== "DELETE_IN_PROGRESS");
  const failed: { envId: string; error: string }[] = [];
  for (const env of targets) {
    try {
      await teardownEnvironment(viewer, env.id);
    } catch (err) {
      failed.push({ envId: env.id, error: err instanceof Error ? err.message : "failed" });
    }
  }
  audit({ actorId: viewer.id, actorRole: "facilitator", action: "teardown-all", result: failed.length ? "error" : "ok", detail: `${targets.length} environment(s), ${failed.length} failed to start deleting` });
  return { envIds: targets.map((e) => e.id), failed };
}

export const announcementSchema = z
  .string()
  .trim()
  .min(1, "Write a message first.")
  .max(280, "Keep announcements under 280 characters.");

export function announce(viewer: Viewer, raw: unknown) {
  requireFacilitatorRole(viewer);
  const parsed = announcementSchema.safeParse(raw);
  if (!parsed.success) throw new PortalError("bad_request", parsed.error.issues[0].message);
  const a = createAnnouncement(parsed.data);
  audit({ actorId: viewer.id, actorRole: "facilitator", action: "announce", target: String(a.id), result: "ok", detail: parsed.data });
  emitRoomEvent({ kind: "announcement", id: a.id, message: a.message, createdAt: a.createdAt });
  return a;
}

const isoOrEmpty = z
  .string()
  .trim()
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

export function saveEvent(viewer: Viewer, raw: unknown) {
  requireFacilitatorRole(viewer);
  const parsed = eventSettingsSchema.safeParse(raw);
  if (!parsed.success) throw new PortalError("bad_request", parsed.error.issues[0].message);
  const settings = {
    name: parsed.data.name,
    startsAt: parsed.data.startsAt ? new Date(parsed.data.startsAt).toISOString() : null,
    endsAt: parsed.data.endsAt ? new Date(parsed.data.endsAt).toISOString() : null,
  };
  saveEventSettings(settings);
  audit({ actorId: viewer.id, actorRole: "facilitator", action: "event-settings", result: "ok", detail: JSON.stringify(settings) });
  emitRoomEvent({ kind: "event-settings" });
  return settings;
}
