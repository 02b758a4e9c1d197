import { PortalError } from "@/lib/errors";

export type Role = "attendee" | "facilitator";

/** What each role may do that others may not, said once, the same way everywhere. */
const onlyFor: Record<Role, string> = {
  attendee: "This is for attendees: sign in with the event's join code.",
  facilitator: "Only the facilitator can do that.",
};

/** Whoever acts must hold `role` (anyone, when none is given); else a "forbidden" PortalError. */
export function requireRole<A extends { role: string }>(actor: A, role?: Role): A {
  if (role && actor.role !== role) throw new PortalError("forbidden", onlyFor[role]);
  return actor;
}
