import { randomUUID } from "node:crypto";
import { getDb } from "@/lib/db";
import { attendees } from "@/lib/db/schema";

// Rows the tests and benches start from, written straight into the store: the portal itself
// makes attendees only through sign-in (lib/db/attendee-queries.ts).

/** An attendee by email (the same address gives the same row; a new name replaces the old). */
export function upsertAttendee(input: { email: string; name: string }) {
  const at = new Date().toISOString();
  return getDb()
    .insert(attendees)
    .values({ id: randomUUID(), email: input.email, name: input.name, createdAt: at, lastSeenAt: at })
    .onConflictDoUpdate({ target: attendees.email, set: { name: input.name, lastSeenAt: at } })
    .returning()
    .get();
}
