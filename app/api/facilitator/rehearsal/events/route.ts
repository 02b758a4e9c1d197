import { requireViewer } from "@/lib/auth/session";
import { errorResponse } from "@/lib/errors";
import { ready } from "@/lib/runtime";
import { sseResponse } from "@/lib/stream/response";
import { parseLastEventId } from "@/lib/stream/sse";

export const dynamic = "force-dynamic";

/** The dress rehearsal (its phases, the notebook's log, the newest report), for the facilitator. */
export async function GET(request: Request) {
  try {
    const viewer = await requireViewer("facilitator");
    const { rehearsal, openStreams } = await ready();
    const lastEventId = parseLastEventId(request.headers.get("last-event-id"));
    return sseResponse(request, {
      owner: `${viewer.role}:${viewer.id}`,
      open: openStreams,
      subscribe: (sink) => rehearsal.subscribe(sink, lastEventId),
    });
  } catch (err) {
    return errorResponse(err);
  }
}
