import "server-only";
import { and, asc, desc, eq, gt, inArray, isNotNull, lt, lte, sql } from "drizzle-orm";
import { getDb } from "./index";
import { environments, streamEvents } from "./schema";

// The environment streams' stored frames: written with the cursor that produced them,
// read back for a browser that reconnects after memory let them go, and pruned (see
// pruneStreamEvents) so the table does not grow with the length of the event.

export function appendStreamEvent(envId: string, seq: number, event: string, data: string) {
  getDb().insert(streamEvents).values({ envId, seq, event, data, at: new Date().toISOString() }).run();
}

/** Stored events after `afterSeq` (and before `beforeSeq`, when given), oldest first. */
export function streamEventsAfter(envId: string, afterSeq: number, limit = 10_000, beforeSeq = Number.MAX_SAFE_INTEGER) {
  return getDb()
    .select()
    .from(streamEvents)
    .where(and(eq(streamEvents.envId, envId), gt(streamEvents.seq, afterSeq), lt(streamEvents.seq, beforeSeq)))
    .orderBy(asc(streamEvents.seq))
    .limit(limit)
    .all();
}

/**
 * The data of the environment's newest stored `log` event from a scheduler task whose line
 * contains `needle` (e.g. the progress lines' prefix), or null. Walks back from the newest
 * event on the primary key, so it reads no further than that line.
 */
export function newestSchedulerLineContaining(envId: string, needle: string): string | null {
  const row = getDb()
    .select({ data: streamEvents.data })
    .from(streamEvents)
    .where(
      and(
        eq(streamEvents.envId, envId),
        eq(streamEvents.event, "log"),
        sql`instr(${streamEvents.data}, ${needle}) > 0`,
        sql`json_extract(${streamEvents.data}, '$.role') = 'scheduler'`,
      ),
    )
    .orderBy(desc(streamEvents.seq))
    .limit(1)
    .get();
  return row?.data ?? null;
}

export function lastStreamSeq(envId: string): number {
  const row = getDb()
    .select({ seq: sql<number>`max(${streamEvents.seq})` })
    .from(streamEvents)
    .where(eq(streamEvents.envId, envId))
    .get();
  return row?.seq ?? 0;
}

export interface StreamRetention {
  /** A torn-down environment's events go this long after its deletedAt. */
  retentionMs: number;
  /** Events kept per environment: the newest ones. */
  keptPerEnvironment: number;
}

/**
 * Deletes what no browser should need any more: every event of an environment torn down
 * more than `retentionMs` ago, and, for every environment, all but its newest
 * `keptPerEnvironment` events. Numbers are never reused, so a stream goes on counting from
 * the newest event it keeps; a browser that asks for a pruned one is told of the gap.
 */
export function pruneStreamEvents(retention: StreamRetention, now = new Date()): { ended: number; overCeiling: number } {
  const db = getDb();
  const cutoff = new Date(now.getTime() - retention.retentionMs).toISOString();
  const endedLongAgo = db
    .select({ id: environments.id })
    .from(environments)
    .where(and(isNotNull(environments.deletedAt), lte(environments.deletedAt, cutoff)));
  const ended = db.delete(streamEvents).where(inArray(streamEvents.envId, endedLongAgo)).run().changes;
  // Numbers are consecutive per environment, so "older than the newest N" is a range on the key.
  const long = db
    .select({ envId: streamEvents.envId, newest: sql<number>`max(${streamEvents.seq})` })
    .from(streamEvents)
    .groupBy(streamEvents.envId)
    .having(sql`count(*) > ${retention.keptPerEnvironment}`)
    .all();
  let overCeiling = 0;
  for (const { envId, newest } of long) {
    overCeiling += db
      .delete(streamEvents)
      .where(and(eq(streamEvents.envId, envId), lte(streamEvents.seq, newest - retention.keptPerEnvironment)))
      .run().changes;
  }
  return { ended, overCeiling };
}

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
