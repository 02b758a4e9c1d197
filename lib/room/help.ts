import "server-only";
import { z } from "zod";
import { audit, type Actor } from "@/lib/audit";
import { currentDiagnosisOf } from "@/lib/db/diagnosis-queries";
import { latestEnvironmentOf } from "@/lib/db/environment-queries";
import type { EnvironmentDiagnosis } from "@/lib/diagnosis/codes";
import { diagnoseLine } from "@/lib/diagnosis/diagnose";
import { fromRow } from "@/lib/diagnosis/watch";
import { createHelpRequest, getHelpRequest, openHelpRequestOf, setHelpStatus } from "@/lib/db/room-queries";
import { recentStreamEvents } from "@/lib/db/stream-queries";
import { PortalError } from "@/lib/errors";
import type { Watchers } from "@/lib/environments/watchers";
import type { RoomSignal } from "./signal";

export const helpMessageSchema = z.string().trim().max(500, "Keep the message under 500 characters.");

export interface DiagnosticBundle {
  gatheredAt: string;
  stackName: string | null;
  status: string | null;
  reason: string | null;
  stackEvents: Record<string, unknown>[];
  stoppedTasks: { id: string; role: string; stoppedReason?: string; stoppedAt?: string }[];
  schedulerLog: { at: string; text: string }[];
  /** The cause the environment showed when the attendee asked (lib/diagnosis). */
  diagnosis?: EnvironmentDiagnosis;
}

/** What a facilitator needs to see before walking over: recent stack events, why tasks stopped, the scheduler's last lines. */
export function gatherBundle(watchers: Watchers, attendeeId: string): DiagnosticBundle {
  const env = latestEnvironmentOf(attendeeId);
  const snapshot = env ? watchers.lastSnapshot(env.id) : null;
  const diagnosis = env && !env.deletedAt ? currentDiagnosisOf(env.id) : undefined;
  return {
    gatheredAt: new Date().toISOString(),
    stackName: env?.stackName ?? null,
    status: env?.status ?? null,
    reason: env?.statusReason ?? null,
    stackEvents: env ? recentStreamEvents(env.id, "stack-event", 30) : [],
    stoppedTasks: (snapshot?.tasks ?? [])
      .filter((t) => t.lastStatus === "STOPPED")
      .map((t) => ({ id: t.id, role: t.role, stoppedReason: t.stoppedReason, stoppedAt: t.stoppedAt })),
    schedulerLog: env ? recentStreamEvents(env.id, "log", 200, "scheduler").map((l) => ({ at: String(l.at), text: String(l.text) })) : [],
    ...(diagnosis ? { diagnosis: fromRow(diagnosis) } : {}),
  };
}

/**
 * The attendee asks for help; a second request while one is open returns the open one. The
 * request keeps the cause their environment shows, or else the one their message names.
 */
export function requestHelp(deps: { watchers: Watchers; signal: RoomSignal }, actor: Actor, message: string) {
  const existing = openHelpRequestOf(actor.id);
  if (existing) return existing;
  const bundle = gatherBundle(deps.watchers, actor.id);
  // A kernel's error reaches the portal only when the attendee pastes it: it names the cause then.
  const pasted = diagnoseLine(message).code;
  const request = createHelpRequest(actor.id, message, bundle, bundle.diagnosis?.code ?? (pasted === "unknown" ? null : pasted));
  audit(actor, "help-request", { target: String(request.id) });
  deps.signal.emit({ kind: "help", attendeeId: actor.id, id: request.id, status: "open" });
  return request;
}

export function updateHelp(signal: RoomSignal, actor: Actor, id: number, status: "coming" | "resolved") {
  const request = getHelpRequest(id);
  if (!request) throw new PortalError("not_found", "That help request no longer exists.");
  setHelpStatus(id, status);
  audit(actor, status === "coming" ? "help-coming" : "help-resolved", { target: String(id) });
  signal.emit({ kind: "help", attendeeId: request.attendeeId, id, status });
}

export function helpBundle(id: number) {
  const request = getHelpRequest(id);
  if (!request) throw new PortalError("not_found", "That help request no longer exists.");
  return { ...request, bundle: JSON.parse(request.bundle) as DiagnosticBundle };
}
