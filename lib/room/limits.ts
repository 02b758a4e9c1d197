import "server-only";
import { portalConfig, type PortalConfig } from "@/lib/config";
import type { EventSettings } from "@/lib/db/schema";
import { PortalError } from "@/lib/errors";

// The limits that protect the event's account: how many people may join, when deploys are
// open, and how many workers one environment may run. Each is refused here with a sentence
// the attendee can act on; the worker maximum is also held on what actually runs
// (lib/environments/enforce-limits.ts).

export interface EventLimits {
  /** Attendees who may join (PORTAL_MAX_ATTENDEES); each may run one environment. */
  maxAttendees: number;
  /** Workers one environment may run (PORTAL_MAX_WORKERS). */
  maxWorkers: number;
  /** Workers a new environment starts with. */
  defaultWorkers: number;
}

export function eventLimits(config: PortalConfig = portalConfig()): EventLimits {
  return { maxAttendees: config.maxAttendees, maxWorkers: config.workers.max, defaultWorkers: config.workers.default };
}

/** Refuses a new attendee when the event already has as many as it may hold. */
export function assertRoomForAttendee(currentAttendeeCount: number, limits: EventLimits = eventLimits()): void {
  if (currentAttendeeCount >= limits.maxAttendees) {
    throw new PortalError("forbidden", `This event is full (${limits.maxAttendees} attendee${limits.maxAttendees === 1 ? "" : "s"}). Ask your facilitator.`);
  }
}

type EventTimes = Pick<EventSettings, "startsAt" | "endsAt" | "endedAt">;

/** "17:00 UTC" on the same day as `now`, "2026-12-03 17:00 UTC" on another. */
export function utcTime(iso: string, now: Date): string {
  const at = new Date(iso).toISOString();
  const day = at.slice(0, 10);
  const time = `${at.slice(11, 16)} UTC`;
  return day === now.toISOString().slice(0, 10) ? time : `${day} ${time}`;
}

/**
 * Why a deploy would be refused now, or null while deploys are open: before the event starts,
 * or once it has ended (its end time has passed, or the portal has already ended it).
 * Without times, deploys are open.
 */
export function deploysClosedReason(event: EventTimes, now: Date = new Date()): string | null {
  const t = now.getTime();
  const ended = event.endedAt !== null || (event.endsAt !== null && Date.parse(event.endsAt) <= t);
  // The end the facilitator set, rather than the moment the portal got round to ending it.
  const endedAt = event.endsAt ?? event.endedAt;
  if (ended && endedAt) return `The event has ended (at ${utcTime(endedAt, now)}); deploys are closed.`;
  if (event.startsAt && Date.parse(event.startsAt) > t) return `The event starts at ${utcTime(event.startsAt, now)}; deploys open then.`;
  return null;
}

/** Refuses a deploy outside the event's window, saying when it opens or when it closed. */
export function assertDeploysOpen(event: EventTimes, now: Date = new Date()): void {
  const reason = deploysClosedReason(event, now);
  if (reason) throw new PortalError("conflict", reason);
}
