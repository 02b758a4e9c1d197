import "server-only";
import { and, eq, isNull, notInArray } from "drizzle-orm";
import { getDb } from "./index";
import { attendees, labProgress, labVisits, stepChecks } from "./schema";

// Each attendee's way through the labs: what they marked done, what they are on, and the
// checks they passed.

const now = () => new Date().toISOString();

export function labsDone(attendeeId: string): Set<string> {
  const rows = getDb().select().from(labProgress).where(eq(labProgress.attendeeId, attendeeId)).all();
  return new Set(rows.map((r) => r.labSlug));
}

export function setLabDone(attendeeId: string, labSlug: string, done: boolean) {
  const db = getDb();
  if (done) {
    db.insert(labProgress).values({ attendeeId, labSlug, doneAt: now() }).onConflictDoNothing().run();
  } else {
    db.delete(labProgress)
      .where(and(eq(labProgress.attendeeId, attendeeId), eq(labProgress.labSlug, labSlug)))
      .run();
  }
}

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

/** The attendee opened a lab: it is their current one, and the first opening starts their time on it. */
export function setCurrentLab(attendeeId: string, labSlug: string) {
  const at = now();
  getDb().update(attendees).set({ currentLab: labSlug, lastSeenAt: at }).where(eq(attendees.id, attendeeId)).run();
  getDb().insert(labVisits).values({ attendeeId, labSlug, firstAt: at }).onConflictDoNothing().run();
}

/** Who is on a lab now: it is their current lab and they have not finished it (the pace card's "on it"). */
export function attendeesOnLab(labSlug: string): string[] {
  const db = getDb();
  const finished = db.select({ id: labProgress.attendeeId }).from(labProgress).where(eq(labProgress.labSlug, labSlug));
  return db
    .select({ id: attendees.id })
    .from(attendees)
    .where(and(eq(attendees.currentLab, labSlug), isNull(attendees.removedAt), notInArray(attendees.id, finished)))
    .all()
    .map((a) => a.id);
}
