import { requireViewer, sessionStillHolds } from "@/lib/auth/session";
import { environmentFor } from "@/lib/environments";
import { errorResponse } from "@/lib/errors";
import { ready } from "@/lib/runtime";
import { sseResponse } from "@/lib/stream/response";
import { parseLastEventId } from "@/lib/stream/sse";

export const dynamic = "force-dynamic";

/** One environment's live stream, for its owner and the facilitator. */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const viewer = await requireViewer();
    const row = environmentFor(viewer, (await params).id);
    const { hub, openStreams } = await ready();
    const url = new URL(request.url);
    const lastEventId = parseLastEventId(request.headers.get("last-event-id") ?? url.searchParams.get("lastEventId"));
    return sseResponse(request, {
      owner: `${viewer.role}:${viewer.id}`,
      open: openStreams,
      // A signed-out, re-coded or removed attendee's open page hears it within seconds.
      recheck: sessionStillHolds(viewer),
      subscribe: (sink) => hub.stream(row).subscribe(sink, lastEventId),
    });
  } catch (err) {
    return errorResponse(err);
  }
}
