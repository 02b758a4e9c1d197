import "server-only";

// A new return code waits here, in the portal's memory only, until the attendee's page
// has shown it and they say they have kept it (or half an hour passes). It is never
// stored in plain text: a restart loses it, and the facilitator can issue another.

const keepMs = 30 * 60_000;

interface Pending {
  code: string;
  until: number;
}

// One map per process, whichever compiled copy of this module asks (Next holds several).
const holder = globalThis as unknown as { [key: symbol]: Map<string, Pending> | undefined };
const key = Symbol.for("dask-workshop.pending-return-codes");
const pending = (): Map<string, Pending> => (holder[key] ??= new Map());

export function revealLater(attendeeId: string, code: string, now = Date.now()): void {
  for (const [id, entry] of pending()) if (entry.until <= now) pending().delete(id);
  pending().set(attendeeId, { code, until: now + keepMs });
}

/** The code the attendee has not yet acknowledged, if any. */
export function pendingReturnCode(attendeeId: string, now = Date.now()): string | undefined {
  const entry = pending().get(attendeeId);
  if (!entry || entry.until <= now) return undefined;
  return entry.code;
}

export function forgetReturnCode(attendeeId: string): void {
  pending().delete(attendeeId);
}
