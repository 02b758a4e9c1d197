import "server-only";
import { randomUUID } from "node:crypto";
import { and, asc, count, eq, isNull, sql } from "drizzle-orm";
import { getDb } from "./index";
import { attendees, type Attendee } from "./schema";

// The attendee in the store: who has joined, with which return code, which of their
// sessions still count, how many count against the event's limit, and the placeholder a
// stack found without a record of its attendee gets.

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

export function getAttendee(id: string) {
  return getDb().select().from(attendees).where(eq(attendees.id, id)).get();
}

export function listAttendees() {
  return getDb().select().from(attendees).orderBy(asc(attendees.name)).all();
}

export function touchAttendee(id: string) {
  getDb().update(attendees).set({ lastSeenAt: now() }).where(eq(attendees.id, id)).run();
}

/** How many attendees have joined the event (those the facilitator removed no longer count). */
export function countAttendees(): number {
  return getDb().select({ n: count() }).from(attendees).where(isNull(attendees.removedAt)).get()?.n ?? 0;
}

/** The name a stack's attendee gets when the store has no record of them. */
export function placeholderName(attendeeId: string): string {
  return `unknown attendee ${attendeeId}`;
}

/**
 * The attendee with this id; when the store has none, a placeholder record (the id comes
 * from the stack's workshop:attendee tag), so the roster still shows whose stack it is.
 */
export function ensureAttendee(attendeeId: string): { attendee: Attendee; created: boolean } {
  const db = getDb();
  const existing = db.select().from(attendees).where(eq(attendees.id, attendeeId)).get();
  if (existing) return { attendee: existing, created: false };
  const at = now();
  const attendee = db
    .insert(attendees)
    .values({
      id: attendeeId,
      // Unique like every attendee's email, and in a reserved domain no one signs in with.
      email: `unknown-${attendeeId}@reconciled.invalid`,
      name: placeholderName(attendeeId),
      createdAt: at,
      lastSeenAt: at,
    })
    .returning()
    .get();
  return { attendee, created: true };
}
