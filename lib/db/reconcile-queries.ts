import "server-only";
import { randomUUID } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import { getDb } from "./index";
import { attendees, environments, type Attendee, type EnvironmentRow } from "./schema";

// What reconciling the store with the provider's own list of stacks needs: the store
// must never forget an environment that is still running (and costing money), nor keep
// showing one that is gone.

const now = () => new Date().toISOString();

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
