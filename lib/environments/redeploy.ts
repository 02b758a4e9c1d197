import "server-only";
import { audit, type Actor } from "@/lib/audit";
import { getAttendee } from "@/lib/db/attendee-queries";
import { liveEnvironmentOf } from "@/lib/db/environment-queries";
import { PortalError, toPortalError } from "@/lib/errors";
import { isDeletable } from "@/lib/status";
import { deployEnvironment, teardownEnvironment, type EnvironmentDeps } from "./index";

// The Room problems card's "tear down and redeploy these N": each attendee's environment
// is deleted, and once the provider reports it gone a new one is deployed for them, as if
// they had pressed Deploy again. One environment per attendee holds throughout: the new one
// is made only after the old one is DELETE_COMPLETE.

/** How long a redeploy waits for the old environment to be gone before giving up. */
export const REDEPLOY_WAIT_MS = 30 * 60_000;

export interface RedeployOutcome {
  /** Attendees whose environment is being torn down, or deployed now (they had none). */
  started: string[];
  failed: { attendeeId: string; error: string }[];
}

function deployFor(deps: EnvironmentDeps, attendeeId: string): Promise<unknown> {
  return deployEnvironment(deps, { id: attendeeId, role: "attendee" });
}

/** Deploys again once `envId` is gone; gives up quietly (the audit log says) after REDEPLOY_WAIT_MS. */
function afterDeletion(deps: EnvironmentDeps, envId: string, attendeeId: string): void {
  const stop = deps.watchers.onSnapshot((id, snapshot) => {
    if (id !== envId || snapshot.status !== "DELETE_COMPLETE") return;
    done();
    deployFor(deps, attendeeId).catch((err: unknown) => console.error(`redeploy for ${attendeeId}:`, toPortalError(err).message));
  });
  const timer = setTimeout(() => {
    done();
    audit({ id: "portal", role: "system" }, "redeploy", { target: attendeeId, ok: false, detail: "the old environment was not gone in time; nothing was deployed" });
  }, REDEPLOY_WAIT_MS);
  timer.unref();
  function done() {
    clearTimeout(timer);
    stop();
  }
}

export async function redeployEnvironments(deps: EnvironmentDeps, actor: Actor, attendeeIds: string[]): Promise<RedeployOutcome> {
  const outcome: RedeployOutcome = { started: [], failed: [] };
  for (const attendeeId of new Set(attendeeIds)) {
    try {
      if (!getAttendee(attendeeId)) throw new PortalError("not_found", "No such attendee.");
      const env = liveEnvironmentOf(attendeeId);
      if (!env) {
        await deployFor(deps, attendeeId);
      } else {
        if (!isDeletable(env.status)) throw new PortalError("conflict", "Their environment is already being deleted.");
        await teardownEnvironment(deps, actor, env.id);
        // The provider reports the deletion on a later poll, never before this line runs.
        afterDeletion(deps, env.id, attendeeId);
      }
      outcome.started.push(attendeeId);
    } catch (err) {
      outcome.failed.push({ attendeeId, error: toPortalError(err).message });
    }
  }
  audit(actor, "redeploy", {
    ok: outcome.failed.length === 0,
    detail: `${outcome.started.length} redeploying, ${outcome.failed.length} refused${outcome.failed.length ? `: ${outcome.failed.map((f) => f.error).join("; ")}` : ""}`,
  });
  return outcome;
}
