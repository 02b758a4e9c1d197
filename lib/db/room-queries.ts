import "server-only";
import { and, asc, desc, eq, gte, inArray, or, sql } from "drizzle-orm";
import type { DiagnosisCode } from "@/lib/diagnosis/codes";
import { getDb } from "./index";
import {
  announcementRecipients,
  announcements,
  attendees,
  environments,
  environmentUsage,
  eventSettings,
  helpRequests,
  labProgress,
  labVisits,
  roomCostSamples,
  stepChecks,
  type EventSettings,
} from "./schema";

// The room's own rows: the event's settings, help requests, announcements and hints, usage
// and cost samples, and the roster's one read across every aggregate.

const now = () => new Date().toISOString();

// ---- the event

export function getEventSettings(defaultName: string): EventSettings {
  return getDb().select().from(eventSettings).where(eq(eventSettings.id, 1)).get() ?? {
    id: 1,
    name: defaultName,
    startsAt: null,
    endsAt: null,
    endedAt: null,
  };
}

export function saveEventSettings(input: { name: string; startsAt: string | null; endsAt: string | null }) {
  getDb()
    .insert(eventSettings)
    .values({ id: 1, ...input, endedAt: null })
    .onConflictDoUpdate({ target: eventSettings.id, set: { ...input, endedAt: null } })
    .run();
}

export function markEventEnded(at: string) {
  getDb().update(eventSettings).set({ endedAt: at }).where(eq(eventSettings.id, 1)).run();
}

// ---- help queue

export function createHelpRequest(attendeeId: string, message: string, bundle: unknown, diagnosisCode: DiagnosisCode | null) {
  const at = now();
  return getDb()
    .insert(helpRequests)
    .values({ attendeeId, message, bundle: JSON.stringify(bundle), diagnosisCode, status: "open", createdAt: at, updatedAt: at })
    .returning()
    .get();
}

export function openHelpRequestOf(attendeeId: string) {
  return getDb()
    .select()
    .from(helpRequests)
    .where(and(eq(helpRequests.attendeeId, attendeeId), inArray(helpRequests.status, ["open", "coming"])))
    .orderBy(desc(helpRequests.id))
    .get();
}

export function getHelpRequest(id: number) {
  return getDb().select().from(helpRequests).where(eq(helpRequests.id, id)).get();
}

export function setHelpStatus(id: number, status: "open" | "coming" | "resolved") {
  return getDb().update(helpRequests).set({ status, updatedAt: now() }).where(eq(helpRequests.id, id)).returning().get();
}

export function listHelpQueue() {
  return getDb()
    .select({
      id: helpRequests.id,
      attendeeId: helpRequests.attendeeId,
      name: attendees.name,
      email: attendees.email,
      message: helpRequests.message,
      status: helpRequests.status,
      createdAt: helpRequests.createdAt,
      diagnosis: helpRequests.diagnosisCode,
    })
    .from(helpRequests)
    .innerJoin(attendees, eq(attendees.id, helpRequests.attendeeId))
    .where(inArray(helpRequests.status, ["open", "coming"]))
    .orderBy(asc(helpRequests.id))
    .all();
}

// ---- announcements

export function createAnnouncement(message: string) {
  return getDb().insert(announcements).values({ message, createdAt: now() }).returning().get();
}

/** A hint for these attendees only (everyone on `labSlug`, or one attendee). */
export function createHint(message: string, recipients: string[], labSlug: string | null) {
  const db = getDb();
  return db.transaction((tx) => {
    const hint = tx.insert(announcements).values({ message, createdAt: now(), kind: "hint", labSlug }).returning().get();
    for (const attendeeId of recipients) tx.insert(announcementRecipients).values({ announcementId: hint.id, attendeeId }).run();
    return hint;
  });
}

/** What an attendee's page shows since `sinceIso`: the announcements to everyone and the hints sent to them. */
export function announcementsFor(attendeeId: string, sinceIso: string) {
  const db = getDb();
  const mine = db.select({ id: announcementRecipients.announcementId }).from(announcementRecipients).where(eq(announcementRecipients.attendeeId, attendeeId));
  return db
    .select()
    .from(announcements)
    .where(and(gte(announcements.createdAt, sinceIso), or(eq(announcements.kind, "announcement"), inArray(announcements.id, mine))))
    .orderBy(asc(announcements.id))
    .all();
}

// ---- usage and cost

export function recordUsage(envId: string, { costUsd, cpuSeconds }: { costUsd: number; cpuSeconds: number }) {
  getDb()
    .insert(environmentUsage)
    .values({ envId, costUsd, cpuSeconds, updatedAt: now() })
    .onConflictDoUpdate({
      target: environmentUsage.envId,
      // Never lower what was recorded: after a restart the backend may no longer list old tasks.
      set: {
        costUsd: sql`max(${environmentUsage.costUsd}, excluded.cost_usd)`,
        cpuSeconds: sql`max(${environmentUsage.cpuSeconds}, excluded.cpu_seconds)`,
        updatedAt: now(),
      },
    })
    .run();
}

/** Usage per environment: the whole room's, or only the given environments'. */
export function usageByEnvironment(envIds?: string[]): Map<string, { costUsd: number; cpuSeconds: number }> {
  const rows = getDb()
    .select()
    .from(environmentUsage)
    .where(envIds ? inArray(environmentUsage.envId, envIds) : undefined)
    .all();
  return new Map(rows.map((r) => [r.envId, { costUsd: r.costUsd, cpuSeconds: r.cpuSeconds }]));
}

export function addCostSample(total: number) {
  getDb().insert(roomCostSamples).values({ at: now(), total }).onConflictDoNothing().run();
}

export function costSamples(limit = 240) {
  return getDb().select().from(roomCostSamples).orderBy(desc(roomCostSamples.at)).limit(limit).all().reverse();
}

// ---- the roster's raw material, in a handful of queries for the whole room

export function rosterRaw(only?: ReadonlySet<string>) {
  const db = getDb();
  const ids = only ? [...only] : undefined;
  const people = db.select().from(attendees).where(ids ? inArray(attendees.id, ids) : undefined).all();
  const envs = db
    .select()
    .from(environments)
    .where(ids ? inArray(environments.attendeeId, ids) : undefined)
    .orderBy(desc(environments.createdAt))
    .all();
  const checks = db
    .select({ attendeeId: stepChecks.attendeeId, n: sql<number>`count(*)` })
    .from(stepChecks)
    .where(ids ? inArray(stepChecks.attendeeId, ids) : undefined)
    .groupBy(stepChecks.attendeeId)
    .all();
  const help = db
    .select({ attendeeId: helpRequests.attendeeId, status: helpRequests.status })
    .from(helpRequests)
    .where(and(inArray(helpRequests.status, ["open", "coming"]), ids ? inArray(helpRequests.attendeeId, ids) : undefined))
    .all();
  const visits = db.select().from(labVisits).where(ids ? inArray(labVisits.attendeeId, ids) : undefined).all();
  const done = db.select().from(labProgress).where(ids ? inArray(labProgress.attendeeId, ids) : undefined).all();
  const lastCheck = db
    .select({ attendeeId: stepChecks.attendeeId, at: sql<string>`max(${stepChecks.passedAt})` })
    .from(stepChecks)
    .where(ids ? inArray(stepChecks.attendeeId, ids) : undefined)
    .groupBy(stepChecks.attendeeId)
    .all();
  return { people, envs, checks, help, visits, done, lastCheck, usage: usageByEnvironment(ids ? envs.map((e) => e.id) : undefined) };
}
