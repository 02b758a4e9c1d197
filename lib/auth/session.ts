import "server-only";
import { getServerSession } from "next-auth";
import { redirect } from "next/navigation";
import { PortalError } from "@/lib/errors";
import { authOptions, type Role } from "./options";

export type { Role } from "./options";

/** The signed-in person: an attendee (their id is their attendee id) or the facilitator. */
export interface Viewer {
  id: string;
  role: Role;
  name: string;
}

/** What each role may do that others may not, said once, the same way everywhere. */
const onlyFor: Record<Role, string> = {
  attendee: "This is for attendees: sign in with the event's join code.",
  facilitator: "Only the facilitator can do that.",
};

export async function getViewer(): Promise<Viewer | null> {
  const session = await getServerSession(authOptions);
  if (!session?.user?.id) return null;
  return { id: session.user.id, role: session.user.role, name: session.user.name ?? "" };
}

/** The viewer must hold `role` (any signed-in viewer when none is given). */
export function requireRole(viewer: Viewer, role?: Role): Viewer {
  if (role && viewer.role !== role) throw new PortalError("forbidden", onlyFor[role]);
  return viewer;
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
