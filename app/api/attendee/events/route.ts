import { requireAttendee } from "@/lib/auth/session";
import { errorResponse } from "@/lib/errors";
import { getAttendeeChannel } from "@/lib/room/attendee-channel";
import { sseResponse } from "@/lib/stream/response";

export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  try {
    const viewer = await requireAttendee();
    return sseResponse(request, (sink) => getAttendeeChannel().subscribe({ ...sink, attendeeId: viewer.id }));
  } catch (err) {
    return errorResponse(err);
  }
}
