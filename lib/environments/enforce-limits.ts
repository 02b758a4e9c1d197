import "server-only";
import { audit, portalActor } from "@/lib/audit";
import { ProviderError, type EnvironmentRef, type EnvironmentSnapshot, type Provider } from "@/lib/providers/contract";
import { isScalable } from "@/lib/status";
import type { LogLine } from "@/lib/stream/protocol";

// The worker maximum held on what runs, not only on what the portal's form accepts: the
// notebook can set its worker service's desired count itself (ECS UpdateService, which its
// role may call; locally, the environment's state file). Every snapshot a stream polls
// passes through here, whatever the provider.

/** The task name the portal's own notices carry in an environment's log. */
export const PORTAL_TASK = "portal";

export interface HeldWorkers {
  /** The snapshot as it reads once the count is set back. */
  snapshot: EnvironmentSnapshot;
  /** What the attendee is told, as a line in their environment's log. */
  notice: LogLine;
}

/**
 * When the environment's desired worker count is above the provider's maximum, sets it back
 * to the maximum, records it in the audit log and returns the notice for the attendee; else
 * (or when the provider refuses, which the next poll retries) returns null.
 */
export async function holdWorkerMaximum(provider: Provider, env: EnvironmentRef, snapshot: EnvironmentSnapshot): Promise<HeldWorkers | null> {
  const max = provider.maxWorkers;
  const asked = snapshot.desiredWorkers;
  // A degraded snapshot is the last known one: act on the platform's word only once it answers.
  if (asked <= max || !isScalable(snapshot.status) || snapshot.degraded) return null;
  try {
    await provider.scale(env, max);
  } catch (err) {
    console.warn(`environment ${env.id}: could not set ${asked} workers back to ${max}:`, ProviderError.is(err) ? err.message : "unexpected error");
    return null;
  }
  audit(portalActor, "worker-limit", { target: env.id, detail: `desired count ${asked} set back to ${max}` });
  return {
    snapshot: { ...snapshot, desiredWorkers: max },
    notice: {
      at: new Date().toISOString(),
      task: PORTAL_TASK,
      role: "worker",
      text: `Your workers were set back to ${max}, the event's maximum (the worker service had been asked for ${asked}).`,
    },
  };
}
