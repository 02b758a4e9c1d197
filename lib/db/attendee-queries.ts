import "server-only";
import { randomUUID } from "node:crypto";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { getDb } from "./index";
import { attendees } from "./schema";

// The attendee's identity in the store: who has joined, with which return code, and which
// of their sessions still count.

const now = () => new Date().toISOString();

export function attendeeByEmail(email: string) {
  return getDb().select().from(attendees).where(eq(attendees.email, email)).get();
}

/** A first join: the attendee with their return code's hash. */
export function createAttendee(input: { email: string; name: string; returnCodeHash: string }) {
  const at = now();
  return getDb()
    .insert(attendees)
    .values({ id: randomUUID(), ...input, createdAt: at, lastSeenAt: at })
    .returning()
    .get();
}

/** A later sign-in: the name may have changed. */
export function attendeeSignedIn(id: string, name: string) {
  return getDb().update(attendees).set({ name, lastSeenAt: now() }).where(eq(attendees.id, id)).returning().get();
}

/**
 * A new return code (first sign-in of an attendee who joined before codes existed, or the
 * facilitator's reissue): the old code stops working, every session the attendee holds
 * ends, and a removed attendee may come back.
 */
export function replaceReturnCode(id: string, returnCodeHash: string) {
  return getDb()
    .update(attendees)
    .set({ returnCodeHash, removedAt: null, sessionVersion: sql`${attendees.sessionVersion} + 1` })
    .where(eq(attendees.id, id))
    .returning()
    .get();
}

/** Ends every session the attendee holds (the next page, action or stream check refuses them). */
export function endSessionsOf(id: string): boolean {
  return getDb().update(attendees).set({ sessionVersion: sql`${attendees.sessionVersion} + 1` }).where(eq(attendees.id, id)).run().changes > 0;
}

export function endEverySession(): number {
  return getDb().update(attendees).set({ sessionVersion: sql`${attendees.sessionVersion} + 1` }).run().changes;
}

/** The facilitator removed them: sessions end, the code stops working, they no longer count. */
export function markRemoved(id: string) {
  return getDb()
    .update(attendees)
    .set({ removedAt: now(), returnCodeHash: null, sessionVersion: sql`${attendees.sessionVersion} + 1` })
    .where(and(eq(attendees.id, id), isNull(attendees.removedAt)))
    .returning()
    .get();
}

/** What a session is checked against on every page, action and stream. */
export function sessionStateOf(id: string): { sessionVersion: number; removed: boolean } | undefined {
  const row = getDb()
    .select({ sessionVersion: attendees.sessionVersion, removedAt: attendees.removedAt })
    .from(attendees)
    .where(eq(attendees.id, id))
    .get();
  return row && { sessionVersion: row.sessionVersion, removed: row.removedAt !== null };
}

/** The facilitator's list: everyone who joined, removed ones last. */
export function listAttendeesForFacilitator() {
  return getDb()
    .select({
      id: attendees.id,
      name: attendees.name,
      email: attendees.email,
      createdAt: attendees.createdAt,
      lastSeenAt: attendees.lastSeenAt,
      removedAt: attendees.removedAt,
      hasReturnCode: sql<number>`${attendees.returnCodeHash} IS NOT NULL`,
    })
    .from(attendees)
    .orderBy(sql`${attendees.removedAt} IS NOT NULL`, asc(attendees.name))
    .all()
    .map((row) => ({ ...row, hasReturnCode: Boolean(row.hasReturnCode) }));
}

export function getAttendeeOrNull(id: string) {
  return getDb().select().from(attendees).where(eq(attendees.id, id)).get() ?? null;
}
