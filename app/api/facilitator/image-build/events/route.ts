import { requireViewer } from "@/lib/auth/session";
import { errorResponse, PortalError } from "@/lib/errors";
import { ready } from "@/lib/runtime";
import { sseResponse } from "@/lib/stream/response";
import { parseLastEventId } from "@/lib/stream/sse";

export const dynamic = "force-dynamic";

/** The room's image and its build (phases and log), for the facilitator. */
export async function GET(request: Request) {
  try {
    const viewer = await requireViewer("facilitator");
    const { imageBuild, openStreams } = await ready();
    if (!imageBuild) throw new PortalError("not_found", "The room's image is built in the cloud with the AWS provider in event mode only.");
    const lastEventId = parseLastEventId(request.headers.get("last-event-id"));
    return sseResponse(request, {
      owner: `${viewer.role}:${viewer.id}`,
      open: openStreams,
      subscribe: (sink) => imageBuild.subscribe(sink, lastEventId),
    });
  } catch (err) {
    return errorResponse(err);
  }
}
