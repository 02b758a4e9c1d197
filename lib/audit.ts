import "server-only";
import { unstable_rethrow } from "next/navigation";
import { insertAudit } from "@/lib/db/audit-queries";
import { toPortalError } from "@/lib/errors";

/**
 * Every action the audit log records, with what it means. The log is how a facilitator
 * answers "who deleted this, and when?" after the room has gone home.
 */
export const auditActions = {
  "sign-in": "signed in, or tried to",
  "return-code": "issued an attendee a new return code",
  "sign-out-attendee": "ended one attendee's sessions",
  "sign-out-everyone": "ended every attendee's sessions",
  "remove-attendee": "removed an attendee from the event",
  deploy: "deployed an environment",
  scale: "scaled an environment's workers",
  "worker-limit": "set workers asked for outside the portal back to the event's maximum",
  teardown: "tore an environment down",
  "teardown-all": "tore every live environment down",
  "event-end-teardown": "deleted an environment at the event's end",
  reconcile: "compared the store with the cloud's stacks",
  announce: "sent an announcement",
  hint: "sent a hint to everyone on one lab, or to one attendee",
  redeploy: "tore environments down and deployed them again for their attendees (Room problems)",
  "diagnosis-dismissed": "hid their environment's diagnosis as solved",
  "event-settings": "changed the event's name or times",
  "help-request": "asked for help",
  "help-coming": "answered a help request",
  "help-resolved": "closed a help request",
  "lab-done": "marked a lab done",
  "lab-undone": "marked a lab not done",
  check: "checked their progress",
  "open-notebook": "opened their notebook (the address made for it is never recorded)",
  "open-dashboard": "opened a Dask dashboard (the portal let their address reach it)",
  "aws-preflight": "checked the account's headroom",
  "service-linked-role": "created a service-linked role the room needs",
  "quota-increase": "asked AWS to raise one of the room's quotas",
  "cost-allocation-tag": "activated the workshop:event cost allocation tag",
  "event-stack-deploy": "deployed the event stack",
  "event-stack-delete": "deleted the event stack",
  "image-build": "asked for a build of the room's image",
  rehearsal: "started the dress rehearsal (one environment deployed, the notebook run, all torn down)",
  backup: "copied the store (on this machine, and to the host's S3 bucket when there is one)",
  "cross-origin-refused": "was the target of a request from a page that is not the portal's (an environment's page, or another site); it was refused",
} as const;
export type AuditAction = keyof typeof auditActions;

/** Who acted: a signed-in person, or the portal itself (start-up, the event's end). */
export interface Actor {
  id: string;
  role: "attendee" | "facilitator" | "system";
}

/** Whom the log may name: an actor, or someone not signed in (a refused sign-in). */
export type AuditActor = Actor | { id: "anonymous"; role: "anonymous" };
export const anonymousActor: AuditActor = { id: "anonymous", role: "anonymous" };

export const portalActor: Actor = { id: "portal", role: "system" };

const maxDetail = 500;

/** Records one action and how it went. */
export function audit(actor: AuditActor, action: AuditAction, entry: { target?: string; ok?: boolean; detail?: string } = {}): void {
  insertAudit({
    actorId: actor.id,
    actorRole: actor.role,
    action,
    target: entry.target,
    result: entry.ok === false ? "error" : "ok",
    detail: entry.detail?.slice(0, maxDetail),
  });
}

/**
 * Runs `work` and records it: with `describe`'s detail when it worked, else with the failure
 * as a person may see it (toPortalError), which is also what it throws, so the log and the
 * page say the same and nothing internal reaches either.
 */
export async function audited<T>(
  actor: Actor,
  action: AuditAction,
  target: string | undefined,
  work: () => Promise<T>,
  describe?: (result: T) => string | undefined,
): Promise<T> {
  try {
    const result = await work();
    audit(actor, action, { target, detail: describe?.(result) });
    return result;
  } catch (error) {
    unstable_rethrow(error);
    const failure = toPortalError(error);
    audit(actor, action, { target, ok: false, detail: failure.message });
    throw failure;
  }
}
