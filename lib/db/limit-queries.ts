import "server-only";
import { count } from "drizzle-orm";
import { getDb } from "./index";
import { attendees } from "./schema";

// What the event's limits count (lib/room/limits.ts): cheap aggregate reads, no rows loaded.

/** How many attendees have joined the event. */
export function countAttendees(): number {
  return getDb().select({ n: count() }).from(attendees).get()?.n ?? 0;
}
