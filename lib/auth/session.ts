import "server-only";
import { getServerSession } from "next-auth";
import { redirect } from "next/navigation";
import { sessionStateOf } from "@/lib/db/attendee-queries";
import { PortalError } from "@/lib/errors";
import { authOptions } from "./options";
import { requireRole, type Role } from "./roles";

export { requireRole, type Role } from "./roles";

/** The signed-in person: an attendee (their id is their attendee id) or the facilitator. */
export interface Viewer {
  id: string;
  role: Role;
  name: string;
}

export async function getViewer(): Promise<Viewer | null> {
  const session = await getServerSession(authOptions);
  if (!session?.user?.id) return null;
  return { id: session.user.id, role: session.user.role, name: session.user.name ?? "" };
}

/** The signed-in viewer, holding `role` if one is given; else an "unauthorized" or "forbidden" PortalError. */
export async function requireViewer(role?: Role): Promise<Viewer> {
  const viewer = await getViewer();
  if (!viewer) throw new PortalError("unauthorized", "Sign in first.");
  return requireRole(viewer, role);
}

/**
 * For pages: the signed-in viewer holding `role`. Anyone else is sent where they belong
 * (the sign-in page, the facilitator's room, or the "not allowed" page) instead of an error.
 */
export async function pageViewer(role?: Role): Promise<Viewer> {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin");
  if (role && viewer.role !== role) redirect(role === "facilitator" ? "/forbidden" : "/facilitator");
  return viewer;
}

/**
 * For streams, which outlive the request that checked the session: whether the attendee's
 * session still holds (the same session version as when the stream opened, not removed).
 * The facilitator's session is not revocable this way.
 */
export function sessionStillHolds(viewer: Viewer): () => boolean {
  if (viewer.role !== "attendee") return () => true;
  const opened = sessionStateOf(viewer.id);
  return () => {
    const now = sessionStateOf(viewer.id);
    return Boolean(opened && now && !now.removed && now.sessionVersion === opened.sessionVersion);
  };
}
