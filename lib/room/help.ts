import "server-only";
import { z } from "zod";
import { audit, latestEnvironmentOf } from "@/lib/db/queries";
import { createHelpRequest, getHelpRequest, openHelpRequestOf, recentStreamEvents, setHelpStatus } from "@/lib/db/room-queries";
import { PortalError } from "@/lib/errors";
import { getHub } from "@/lib/stream/hub";
import { emitRoomEvent } from "@/lib/stream/room-signal";

export const helpMessageSchema = z.string().trim().max(500, "Keep the message under 500 characters.");

export interface DiagnosticBundle {
  gatheredAt: string;
  stackName: string | null;
  status: string | null;
  reason: string | null;
  stackEvents: Record<string, unknown>[];
  stoppedTasks: { id: string; role: string; stoppedReason?: string; stoppedAt?: string }[];
  schedulerLog: { at: string; text: string }[];
}

/** What a facilitator needs to see before walking over: recent stack events, why tasks stopped, the scheduler's last lines. */
export function gatherBundle(attendeeId: string): DiagnosticBundle {
  const env = latestEnvironmentOf(attendeeId);
  const snapshot = env ? getHub().peek(env.id)?.lastSnapshot ?? null : null;
  return {
    gatheredAt: new Date().toISOString(),
    stackName: env?.stackName ?? null,
    status: env?.status ?? null,
    reason: env?.statusReason ?? null,
    stackEvents: env ? recentStreamEvents(env.id, "stack-event", 30) : [],
    stoppedTasks: (snapshot?.tasks ?? [])
      .filter((t) => t.lastStatus === "STOPPED")
      .map((t) => ({ id: t.id, role: t.role, stoppedReason: t.stoppedReason, stoppedAt: t.stoppedAt })),
    schedulerLog: env
      ? recentStreamEvents(env.id, "log", 200, "scheduler").map((l) => ({ at: String(l.at), text: String(l.text) }))
      : [],
  };
}

export function requestHelp(attendeeId: string, rawMessage: unknown) {
  const parsed = helpMessageSchema.safeParse(rawMessage ?? "");
  if (!parsed.success) throw new PortalError("bad_request", parsed.error.issues[0].message);
  const existing = openHelpRequestOf(attendeeId);
  if (existing) return existing;
  const request = createHelpRequest(attendeeId, parsed.data, gatherBundle(attendeeId));
  audit({ actorId: attendeeId, actorRole: "attendee", action: "help-request", target: String(request.id), result: "ok" });
  emitRoomEvent({ kind: "help", attendeeId, id: request.id, status: "open" });
  return request;
}

export function updateHelp(facilitatorId: string, id: number, status: "coming" | "resolved") {
  const request = getHelpRequest(id);
  if (!request) throw new PortalError("not_found", "That help request no longer exists.");
  setHelpStatus(id, status);
  audit({ actorId: facilitatorId, actorRole: "facilitator", action: `help-${status}`, target: String(id), result: "ok" });
  emitRoomEvent({ kind: "help", attendeeId: request.attendeeId, id, status });
}

export function helpBundle(id: number) {
  const request = getHelpRequest(id);
  if (!request) throw new PortalError("not_found", "That help request no longer exists.");
  return { ...request, bundle: JSON.parse(request.bundle) as DiagnosticBundle };
}
