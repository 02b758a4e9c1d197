import { requireViewer } from "@/lib/auth/session";
import { environmentFor } from "@/lib/environments";
import { errorResponse } from "@/lib/errors";
import { getHub } from "@/lib/stream/hub";
import { parseLastEventId } from "@/lib/stream/sse";
import { sseResponse } from "@/lib/stream/response";
import type { EnvironmentSnapshot } from "@/lib/providers/types";

export const dynamic = "force-dynamic";

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const viewer = await requireViewer();
    const row = environmentFor(viewer, (await params).id);
    await getHub().start();
    const stream = getHub().stream(row);
    const url = new URL(request.url);
    const lastEventId = parseLastEventId(request.headers.get("last-event-id") ?? url.searchParams.get("lastEventId"));
    // The notebook link carries the owner's token: only the owner sees it.
    const isOwner = viewer.role === "attendee" && viewer.id === row.attendeeId;
    const view = (s: EnvironmentSnapshot): EnvironmentSnapshot =>
      isOwner ? s : { ...s, links: { ...s.links, notebook: undefined } };
    return sseResponse(request, (sub) => stream.subscribe({ ...sub, view }, lastEventId));
  } catch (err) {
    return errorResponse(err);
  }
}
