import { requireViewer, sessionStillHolds } from "@/lib/auth/session";
import { errorResponse } from "@/lib/errors";
import { ready } from "@/lib/runtime";
import { sseResponse } from "@/lib/stream/response";
import { parseLastEventId } from "@/lib/stream/sse";

export const dynamic = "force-dynamic";

/** What every attendee page hears: announcements, the event's times, their own help request. */
export async function GET(request: Request) {
  try {
    const viewer = await requireViewer("attendee");
    const { attendees, openStreams } = await ready();
    const lastEventId = parseLastEventId(request.headers.get("last-event-id"));
    return sseResponse(request, {
      owner: `${viewer.role}:${viewer.id}`,
      open: openStreams,
      // A signed-out, re-coded or removed attendee's open page hears it within seconds.
      recheck: sessionStillHolds(viewer),
      subscribe: (sink) => attendees.subscribe({ ...sink, key: viewer.id }, lastEventId),
    });
  } catch (err) {
    return errorResponse(err);
  }
}
