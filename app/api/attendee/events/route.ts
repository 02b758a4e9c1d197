import { defineStreamRoute } from "@/app/api/stream-route";

export const dynamic = "force-dynamic";

/** What every attendee page hears: announcements, the event's times, their own help request. */
export const GET = defineStreamRoute({
  role: "attendee",
  // A signed-out, re-coded or removed attendee's open page hears it within seconds.
  recheck: true,
  channel: ({ viewer, rt }) => (sink, lastEventId) => rt.attendees.subscribe({ ...sink, key: viewer.id }, lastEventId),
});
