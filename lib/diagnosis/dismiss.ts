import "server-only";
import { audit, type Actor } from "@/lib/audit";
import { dismissDiagnoses } from "@/lib/db/diagnosis-queries";
import { environmentFor } from "@/lib/environments";
import type { RoomSignal } from "@/lib/room/signal";
import type { StreamHub } from "@/lib/stream/hub";

/** The attendee says their environment's diagnosis is dealt with: it leaves their page and the Room problems card. */
export function dismissDiagnosis(deps: { hub: StreamHub; signal: RoomSignal }, actor: Actor, envId: string): { dismissed: number } {
  const env = environmentFor(actor, envId);
  const dismissed = dismissDiagnoses(env.id);
  deps.hub.streamById(env.id)?.diagnosisDismissed();
  audit(actor, "diagnosis-dismissed", { target: env.id, detail: `${dismissed} diagnosis row(s)` });
  deps.signal.attendeeChanged(env.attendeeId);
  return { dismissed };
}
