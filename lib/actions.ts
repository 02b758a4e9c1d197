import "server-only";
import { requireViewer, type Viewer } from "@/lib/auth/session";
import { touchAttendee } from "@/lib/db/queries";
import { PortalError, type ActionResult } from "@/lib/errors";
import { roomChanged } from "@/lib/stream/room-signal";

/**
 * Wraps a server action: injects the signed-in viewer and turns a PortalError into a
 * typed failure the form can show. Anything else is logged and reported generically.
 */
export async function runAction<T>(fn: (viewer: Viewer) => Promise<T>): Promise<ActionResult<T>> {
  try {
    const viewer = await requireViewer();
    const data = await fn(viewer);
    if (viewer.role === "attendee") {
      touchAttendee(viewer.id);
      roomChanged(viewer.id);
    }
    return { ok: true, data };
  } catch (err) {
    if (err instanceof PortalError) return { ok: false, error: err.message };
    console.error("action failed:", err instanceof Error ? err.message : err);
    return { ok: false, error: "Something went wrong on the portal. Try again." };
  }
}
