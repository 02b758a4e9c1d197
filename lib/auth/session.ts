import "server-only";
import { getServerSession } from "next-auth";
import { PortalError } from "@/lib/errors";
import { authOptions, type Role } from "./options";

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

export async function requireViewer(): Promise<Viewer> {
  const viewer = await getViewer();
  if (!viewer) throw new PortalError("unauthorized", "Sign in first.");
  return viewer;
}

export async function requireAttendee(): Promise<Viewer> {
  const viewer = await requireViewer();
  if (viewer.role !== "attendee") throw new PortalError("forbidden", "This page is for attendees.");
  return viewer;
}

export async function requireFacilitator(): Promise<Viewer> {
  const viewer = await requireViewer();
  if (viewer.role !== "facilitator") throw new PortalError("forbidden", "Only the facilitator can do that.");
  return viewer;
}
