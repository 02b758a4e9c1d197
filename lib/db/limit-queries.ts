import "server-only";
import { count, isNull } from "drizzle-orm";
import { getDb } from "./index";
import { attendees } from "./schema";

// What the event's limits count (lib/room/limits.ts): cheap aggregate reads, no rows loaded.

/** How many attendees have joined the event (those the facilitator removed no longer count). */
export function countAttendees(): number {
  return getDb().select({ n: count() }).from(attendees).where(isNull(attendees.removedAt)).get()?.n ?? 0;
}
