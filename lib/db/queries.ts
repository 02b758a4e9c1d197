import "server-only";
import { randomUUID } from "node:crypto";
import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import type { EnvironmentRef } from "@/lib/providers/types";
import { getDb } from "./index";
import { attendees, auditLog, environments, labProgress, type EnvironmentRow } from "./schema";

const now = () => new Date().toISOString();

/** Signs an attendee in by email: the same address always maps to the same record. */
export function upsertAttendee(input: { email: string; name: string }) {
  const at = now();
  return getDb()
    .insert(attendees)
    .values({ id: randomUUID(), email: input.email, name: input.name, createdAt: at, lastSeenAt: at })
    .onConflictDoUpdate({ target: attendees.email, set: { name: input.name, lastSeenAt: at } })
    .returning()
    .get();
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

export interface AuditRow {
  actorId: string;
  actorRole: "attendee" | "facilitator" | "system" | "anonymous";
  action: string;
  target?: string;
  result: "ok" | "error";
  detail?: string;
}

/** Written through lib/audit.ts, which holds the vocabulary of actions. */
export function insertAudit(entry: AuditRow) {
  getDb()
    .insert(auditLog)
    .values({ ...entry, at: now(), target: entry.target ?? null, detail: entry.detail ?? null })
    .run();
}

export function listAudit(limit = 500) {
  return getDb().select().from(auditLog).orderBy(desc(auditLog.id)).limit(limit).all();
}

// ---- environments

/** What a provider needs to know about a stored environment. */
export function providerRef(row: EnvironmentRow): EnvironmentRef {
  return { id: row.id, stackName: row.stackName, attendeeId: row.attendeeId, attendeeEmail: getAttendee(row.attendeeId)?.email ?? "" };
}

export function liveEnvironmentOf(attendeeId: string): EnvironmentRow | undefined {
  return getDb()
    .select()
    .from(environments)
    .where(and(eq(environments.attendeeId, attendeeId), isNull(environments.deletedAt)))
    .get();
}

/** The attendee's live environment, else their most recent deleted one (so the page can show how it ended). */
export function latestEnvironmentOf(attendeeId: string): EnvironmentRow | undefined {
  return getDb()
    .select()
    .from(environments)
    .where(eq(environments.attendeeId, attendeeId))
    .orderBy(sql`${environments.deletedAt} IS NOT NULL`, desc(environments.createdAt))
    .get();
}

export function getEnvironment(id: string): EnvironmentRow | undefined {
  return getDb().select().from(environments).where(eq(environments.id, id)).get();
}

export function listLiveEnvironments(): EnvironmentRow[] {
  return getDb().select().from(environments).where(isNull(environments.deletedAt)).all();
}

export function listEnvironments(): EnvironmentRow[] {
  return getDb().select().from(environments).orderBy(desc(environments.createdAt)).all();
}

/**
 * Creates the attendee's environment unless one is live already; the partial unique index
 * settles a race between two tabs, so the loser simply gets the winner's row.
 */
export function createEnvironmentOnce(input: {
  attendeeId: string;
  provider: string;
  stackName: string;
  desiredWorkers: number;
}): { row: EnvironmentRow; created: boolean } {
  const existing = liveEnvironmentOf(input.attendeeId);
  if (existing) return { row: existing, created: false };
  const at = now();
  try {
    const row = getDb()
      .insert(environments)
      .values({
        id: randomUUID(),
        ...input,
        status: "CREATE_IN_PROGRESS",
        createdAt: at,
        updatedAt: at,
      })
      .returning()
      .get();
    return { row, created: true };
  } catch (err) {
    const again = liveEnvironmentOf(input.attendeeId);
    if (again) return { row: again, created: false };
    throw err;
  }
}

export function updateEnvironment(
  id: string,
  patch: Partial<
    Pick<EnvironmentRow, "status" | "statusReason" | "desiredWorkers" | "runningWorkers" | "deletedAt" | "streamCursor">
  >,
) {
  getDb()
    .update(environments)
    .set({ ...patch, updatedAt: now() })
    .where(eq(environments.id, id))
    .run();
}

// ---- transactions (the stream events themselves are in stream-queries.ts)

/** Runs `fn` in one SQLite transaction: the events of a poll and the cursor that produced them land together. */
export function inTransaction<T>(fn: () => T): T {
  return getDb().transaction(() => fn());
}
