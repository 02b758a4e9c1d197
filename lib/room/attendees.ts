import "server-only";
import { audit, type Actor } from "@/lib/audit";
import { hashReturnCode, newReturnCode } from "@/lib/auth/return-codes";
import { forgetReturnCode } from "@/lib/auth/reveal";
import { endEverySession, endSessionsOf, getAttendeeOrNull, markRemoved, replaceReturnCode } from "@/lib/db/attendee-queries";
import { liveEnvironmentOf } from "@/lib/db/environment-queries";
import { teardownEnvironment, type EnvironmentDeps } from "@/lib/environments";
import { PortalError } from "@/lib/errors";
import { isDeletable } from "@/lib/status";
import type { RoomSignal } from "./signal";

// The facilitator's hold on attendee identity: a new return code for someone who lost
// theirs (or whose email someone else used), signing people out, removing an attendee.

function known(attendeeId: string) {
  const attendee = getAttendeeOrNull(attendeeId);
  if (!attendee) throw new PortalError("not_found", "No such attendee.");
  return attendee;
}

/** A new code, returned once for the facilitator to hand over; the old code and every session end. */
export function reissueReturnCode(signal: RoomSignal, actor: Actor, attendeeId: string): { name: string; code: string } {
  const attendee = known(attendeeId);
  const code = newReturnCode();
  replaceReturnCode(attendee.id, hashReturnCode(code));
  // A code waiting to be shown to whoever holds the session now must not outlive it.
  forgetReturnCode(attendee.id);
  audit(actor, "return-code", { target: attendee.id, detail: attendee.removedAt ? "let back in" : undefined });
  signal.attendeeChanged(attendee.id);
  return { name: attendee.name, code };
}

export function signOutAttendee(actor: Actor, attendeeId: string): void {
  const attendee = known(attendeeId);
  endSessionsOf(attendee.id);
  audit(actor, "sign-out-attendee", { target: attendee.id });
}

export function signOutEveryone(actor: Actor): { count: number } {
  const count = endEverySession();
  audit(actor, "sign-out-everyone", { detail: `${count} attendee(s)` });
  return { count };
}

/**
 * Removes an attendee: their live environment starts deleting first (so nothing they ran
 * is left without an owner), then their code and sessions end and they stop counting.
 */
export async function removeAttendee(deps: EnvironmentDeps & { signal: RoomSignal }, actor: Actor, attendeeId: string) {
  const attendee = known(attendeeId);
  if (attendee.removedAt) throw new PortalError("conflict", `${attendee.name} has already been removed.`);
  const env = liveEnvironmentOf(attendee.id);
  if (env && isDeletable(env.status)) await teardownEnvironment(deps, actor, env.id);
  markRemoved(attendee.id);
  forgetReturnCode(attendee.id);
  audit(actor, "remove-attendee", { target: attendee.id, detail: env ? `environment ${env.stackName} deleting` : undefined });
  deps.signal.attendeeChanged(attendee.id);
  return { name: attendee.name, environmentDeleting: Boolean(env) };
}
