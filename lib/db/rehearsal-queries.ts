import "server-only";
import { desc, eq, isNotNull } from "drizzle-orm";
import { getDb } from "./index";
import { rehearsals, type RehearsalRow } from "./schema";

/**
 * Records a rehearsal as running, unless one already runs: then returns that one and
 * records nothing (the store's one-running index decides, across processes).
 */
export function beginRehearsal(row: Pick<RehearsalRow, "id" | "startedAt" | "startedBy" | "provider" | "stackName">): { row: RehearsalRow; started: boolean } {
  const db = getDb();
  const inserted = db
    .insert(rehearsals)
    .values({ ...row, status: "running" })
    .onConflictDoNothing()
    .returning()
    .all();
  if (inserted.length) return { row: inserted[0], started: true };
  return { row: runningRehearsal()!, started: false };
}

export function runningRehearsal(): RehearsalRow | undefined {
  return getDb().select().from(rehearsals).where(eq(rehearsals.status, "running")).get();
}

export function finishRehearsal(
  id: string,
  outcome: { status: "passed" | "failed"; finishedAt: string; failedPhase?: string; reason?: string; reportPath?: string },
): void {
  getDb()
    .update(rehearsals)
    .set({ status: outcome.status, finishedAt: outcome.finishedAt, failedPhase: outcome.failedPhase ?? null, reason: outcome.reason ?? null, reportPath: outcome.reportPath ?? null })
    .where(eq(rehearsals.id, id))
    .run();
}

/** The newest rehearsal that wrote a report (the one the facilitator's page shows). */
export function latestReportedRehearsal(): RehearsalRow | undefined {
  return getDb().select().from(rehearsals).where(isNotNull(rehearsals.reportPath)).orderBy(desc(rehearsals.startedAt)).get();
}
