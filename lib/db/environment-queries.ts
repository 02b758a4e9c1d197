import "server-only";
import { randomUUID } from "node:crypto";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { EnvironmentRef } from "@/lib/providers/contract";
import { getAttendee } from "./attendee-queries";
import { getDb } from "./index";
import { environments, type EnvironmentRow } from "./schema";

// An attendee's environments in the store: the live one (at most one per attendee), the
// ones that ended, and what reconciling with the provider's own list of stacks needs (the
// store must never forget an environment that still runs, and costs money, nor keep
// showing one that is gone).

const now = () => new Date().toISOString();

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

export function liveEnvironmentsOfProvider(provider: string): EnvironmentRow[] {
  return getDb()
    .select()
    .from(environments)
    .where(and(eq(environments.provider, provider), isNull(environments.deletedAt)))
    .all();
}

/** Stack names are unique across live and deleted environments alike. */
export function environmentByStackName(stackName: string): EnvironmentRow | undefined {
  return getDb().select().from(environments).where(eq(environments.stackName, stackName)).get();
}

export function environmentIdTaken(id: string): boolean {
  return getDb().select({ id: environments.id }).from(environments).where(eq(environments.id, id)).get() !== undefined;
}

/** Records a stack the store did not know as the attendee's live environment. */
export function insertFoundEnvironment(input: {
  id?: string;
  attendeeId: string;
  provider: string;
  stackName: string;
  status: string;
}): EnvironmentRow {
  const at = now();
  return getDb()
    .insert(environments)
    .values({
      id: input.id ?? randomUUID(),
      attendeeId: input.attendeeId,
      provider: input.provider,
      stackName: input.stackName,
      status: input.status,
      statusReason: "found running outside the portal's records",
      // The environment's stream fills in the real counts on its first poll.
      desiredWorkers: 0,
      createdAt: at,
      updatedAt: at,
    })
    .returning()
    .get();
}

/** The store had marked this environment deleted, but its stack is still there. */
export function reviveEnvironment(id: string, status: string): EnvironmentRow {
  return getDb()
    .update(environments)
    .set({ deletedAt: null, status, statusReason: "found running outside the portal's records", updatedAt: now() })
    .where(eq(environments.id, id))
    .returning()
    .get();
}

/** Marks a live environment whose stack no longer exists as deleted. */
export function retireEnvironment(id: string, reason: string | null): EnvironmentRow | undefined {
  const at = now();
  return getDb()
    .update(environments)
    .set({ deletedAt: at, status: "DELETE_COMPLETE", statusReason: reason, runningWorkers: 0, updatedAt: at })
    .where(and(eq(environments.id, id), isNull(environments.deletedAt)))
    .returning()
    .get();
}
