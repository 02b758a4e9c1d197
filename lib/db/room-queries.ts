import "server-only";
import { and, asc, desc, eq, gte, inArray, sql } from "drizzle-orm";
import { getDb } from "./index";
import {
  announcements,
  attendees,
  environments,
  environmentUsage,
  eventSettings,
  helpRequests,
  labProgress,
  roomCostSamples,
  stepChecks,
  streamEvents,
  type EventSettings,
} from "./schema";

const now = () => new Date().toISOString();

// ---- step checks

export function recordCheckPassed(attendeeId: string, labSlug: string): string {
  const at = now();
  getDb().insert(stepChecks).values({ attendeeId, labSlug, passedAt: at }).onConflictDoNothing().run();
  getDb().insert(labProgress).values({ attendeeId, labSlug, doneAt: at }).onConflictDoNothing().run();
  return checksPassed(attendeeId).get(labSlug) ?? at;
}

export function checksPassed(attendeeId: string): Map<string, string> {
  const rows = getDb().select().from(stepChecks).where(eq(stepChecks.attendeeId, attendeeId)).all();
  return new Map(rows.map((r) => [r.labSlug, r.passedAt]));
}

export function setCurrentLab(attendeeId: string, labSlug: string) {
  getDb().update(attendees).set({ currentLab: labSlug, lastSeenAt: now() }).where(eq(attendees.id, attendeeId)).run();
}

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

export function createHelpRequest(attendeeId: string, message: string, bundle: unknown) {
  const at = now();
  return getDb()
    .insert(helpRequests)
    .values({ attendeeId, message, bundle: JSON.stringify(bundle), status: "open", createdAt: at, updatedAt: at })
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

export function announcementsSince(sinceIso: string) {
  return getDb().select().from(announcements).where(gte(announcements.createdAt, sinceIso)).orderBy(asc(announcements.id)).all();
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
  return { people, envs, checks, help, usage: usageByEnvironment(ids ? envs.map((e) => e.id) : undefined) };
}

// ---- diagnostic bundle material

export function recentStreamEvents(envId: string, event: string, limit: number, role?: string) {
  const db = getDb();
  const where = role
    ? and(eq(streamEvents.envId, envId), eq(streamEvents.event, event), sql`json_extract(${streamEvents.data}, '$.role') = ${role}`)
    : and(eq(streamEvents.envId, envId), eq(streamEvents.event, event));
  return db
    .select()
    .from(streamEvents)
    .where(where)
    .orderBy(desc(streamEvents.seq))
    .limit(limit)
    .all()
    .reverse()
    .map((r) => JSON.parse(r.data) as Record<string, unknown>);
}
