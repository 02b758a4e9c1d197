import { requireFacilitator } from "@/lib/auth/session";
import { errorResponse } from "@/lib/errors";
import { getRoomStream } from "@/lib/room/room-stream";
import { getHub } from "@/lib/stream/hub";
import { sseResponse } from "@/lib/stream/response";
import { parseLastEventId } from "@/lib/stream/sse";

export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  try {
    await requireFacilitator();
    await getHub().start();
    const lastEventId = parseLastEventId(request.headers.get("last-event-id"));
    return sseResponse(request, (sink) => getRoomStream().subscribe(sink, lastEventId));
  } catch (err) {
    return errorResponse(err);
  }
}
