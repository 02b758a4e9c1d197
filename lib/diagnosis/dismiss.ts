import "server-only";
import { audit, type Actor } from "@/lib/audit";
import { dismissDiagnoses } from "@/lib/db/diagnosis-queries";
import { environmentFor } from "@/lib/environments";
import { DiagnosisPolicy } from "@/lib/environments/policies";
import type { RoomSignal } from "@/lib/room/signal";
import type { Watchers } from "@/lib/environments/watchers";

/** The attendee says their environment's diagnosis is dealt with: it leaves their page and the Room problems card. */
export function dismissDiagnosis(deps: { watchers: Watchers; signal: RoomSignal }, actor: Actor, envId: string): { dismissed: number } {
  const env = environmentFor(actor, envId);
  const dismissed = dismissDiagnoses(env.id);
  const watcher = deps.watchers.watchById(env.id);
  if (watcher) watcher.policy(DiagnosisPolicy)?.dismissed(watcher);
  audit(actor, "diagnosis-dismissed", { target: env.id, detail: `${dismissed} diagnosis row(s)` });
  deps.signal.attendeeChanged(env.attendeeId);
  return { dismissed };
}
