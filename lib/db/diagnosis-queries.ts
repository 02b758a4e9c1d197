import "server-only";
import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { getDb } from "./index";
import { diagnoses, type DiagnosisRow } from "./schema";

const now = () => new Date().toISOString();

export function recordDiagnosis(input: Omit<DiagnosisRow, "id" | "dismissedAt">): DiagnosisRow {
  return getDb().insert(diagnoses).values(input).returning().get();
}

/** The cause the environment shows now: its newest diagnosis not dismissed. */
export function currentDiagnosisOf(envId: string): DiagnosisRow | undefined {
  return getDb()
    .select()
    .from(diagnoses)
    .where(and(eq(diagnoses.envId, envId), isNull(diagnoses.dismissedAt)))
    .orderBy(desc(diagnoses.id))
    .get();
}

/** Each environment's current diagnosis, for the given environments. */
export function currentDiagnoses(envIds: string[]): Map<string, DiagnosisRow> {
  if (envIds.length === 0) return new Map();
  const newest = getDb()
    .select({ id: sql<number>`max(${diagnoses.id})` })
    .from(diagnoses)
    .where(and(inArray(diagnoses.envId, envIds), isNull(diagnoses.dismissedAt)))
    .groupBy(diagnoses.envId);
  const rows = getDb().select().from(diagnoses).where(inArray(diagnoses.id, newest)).all();
  return new Map(rows.map((r) => [r.envId, r]));
}

/** The attendee has dealt with it: the environment shows no cause until a new one comes. */
export function dismissDiagnoses(envId: string): number {
  return getDb()
    .update(diagnoses)
    .set({ dismissedAt: now() })
    .where(and(eq(diagnoses.envId, envId), isNull(diagnoses.dismissedAt)))
    .run().changes;
}

/** Every cause the room met: how many attendees met it, and how many times an environment turned to it. */
export function causesMet(): { code: string; attendees: number; times: number }[] {
  return getDb()
    .select({
      code: diagnoses.code,
      attendees: sql<number>`count(distinct ${diagnoses.attendeeId})`,
      times: sql<number>`count(*)`,
    })
    .from(diagnoses)
    .groupBy(diagnoses.code)
    .orderBy(desc(sql`count(distinct ${diagnoses.attendeeId})`), diagnoses.code)
    .all();
}
