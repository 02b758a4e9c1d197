import "server-only";
import { audit, portalActor, type Actor } from "@/lib/audit";
import { inTransaction } from "@/lib/db";
import { liveEnvironmentOf, environmentByStackName, environmentIdTaken, insertFoundEnvironment, liveEnvironmentsOfProvider, retireEnvironment, reviveEnvironment } from "@/lib/db/environment-queries";
import { ensureAttendee } from "@/lib/db/attendee-queries";
import type { EnvironmentRow } from "@/lib/db/schema";
import type { FoundStack, Provider } from "@/lib/providers/contract";
import { REHEARSAL_ATTENDEE_ID } from "@/lib/rehearsal/phases";
import { isDeleting } from "@/lib/status";
import type { Watchers } from "./watchers";

export const DELETED_OUTSIDE = "deleted outside the portal";

/**
 * A deploy writes its store row a moment before CreateStack; a row this young with no
 * stack yet is a deploy under way, not a stack someone deleted.
 */
const DEPLOY_GRACE_MS = 2 * 60_000;

export interface Reconciliation {
  /** False when the provider cannot list its stacks (the local provider): nothing was compared. */
  checked: boolean;
  /** Stacks the store had no live record of, now live environments of their attendees. */
  found: EnvironmentRow[];
  /** Live environments whose stack is gone, now marked deleted. */
  retired: EnvironmentRow[];
  /** Attendee ids the store did not know, recorded as "unknown attendee <id>". */
  placeholders: string[];
  /** Stacks left out because their attendee already has another live environment. */
  unresolved: { stackName: string; attendeeId: string; reason: string }[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Keeps the id the portal tagged the stack with, so its pages and links stay the same. */
function idFor(stack: FoundStack): string | undefined {
  const id = stack.environmentId;
  return id && UUID.test(id) && !environmentIdTaken(id) ? id : undefined;
}

type Outcome =
  | { kind: "taken"; live: EnvironmentRow; created: boolean }
  | { kind: "recorded"; row: EnvironmentRow; created: boolean; email: string };

/**
 * Brings the store in line with the stacks the provider reports for this event: a stack
 * the store does not know reappears under its attendee (a placeholder attendee if the
 * store lacks them too, so nothing that costs money is forgotten), and a live
 * environment whose stack is gone is marked deleted. Safe to run again at any time.
 */
export async function reconcileEnvironments(
  provider: Provider,
  options: { actor?: Actor; now?: Date } = {},
): Promise<Reconciliation> {
  const result: Reconciliation = { checked: false, found: [], retired: [], placeholders: [], unresolved: [] };
  if (!provider.listStacks) return result;
  const stacks = await provider.listStacks();
  result.checked = true;
  const actor = options.actor ?? portalActor;
  const now = (options.now ?? new Date()).getTime();
  const note = (target: string, detail: string, ok = true) => audit(actor, "reconcile", { target, ok, detail });

  // Retire first: an attendee whose old stack vanished may own one of the stacks found below.
  const existing = new Set(stacks.map((s) => s.stackName));
  for (const row of liveEnvironmentsOfProvider(provider.name)) {
    if (existing.has(row.stackName)) continue;
    const young = now - Date.parse(row.createdAt) < DEPLOY_GRACE_MS;
    if (young && row.status === "CREATE_IN_PROGRESS") continue;
    // A teardown the portal started keeps its own words; anything else went away behind its back.
    const reason = isDeleting(row.status) || row.status === "DELETE_FAILED" ? row.statusReason : DELETED_OUTSIDE;
    const retired = retireEnvironment(row.id, reason);
    if (!retired) continue;
    result.retired.push(retired);
    note(row.id, `stack ${row.stackName} no longer exists; marked deleted`);
  }

  for (const stack of stacks) {
    // The dress rehearsal's stack is no attendee's: the rehearsal tears it down itself.
    if (stack.attendeeId === REHEARSAL_ATTENDEE_ID) continue;
    const known = environmentByStackName(stack.stackName);
    if (known && !known.deletedAt) continue;
    const outcome = inTransaction((): Outcome => {
      const { attendee, created } = ensureAttendee(stack.attendeeId);
      const live = liveEnvironmentOf(attendee.id);
      if (live) return { kind: "taken", live, created };
      const row = known
        ? reviveEnvironment(known.id, stack.status)
        : insertFoundEnvironment({
            id: idFor(stack),
            attendeeId: attendee.id,
            provider: provider.name,
            stackName: stack.stackName,
            status: stack.status,
          });
      return { kind: "recorded", row, created, email: attendee.email };
    });
    if (outcome.created) {
      result.placeholders.push(stack.attendeeId);
      note(stack.attendeeId, `attendee unknown to the store; recorded as a placeholder for stack ${stack.stackName}`);
    }
    if (outcome.kind === "taken") {
      const reason = `attendee already has live environment ${outcome.live.stackName}`;
      result.unresolved.push({ stackName: stack.stackName, attendeeId: stack.attendeeId, reason });
      note(stack.stackName, `stack ${stack.stackName} (${stack.status}) not recorded: ${reason}`, false);
      continue;
    }
    const { row, email } = outcome;
    await provider.adopt([{ id: row.id, stackName: row.stackName, attendeeId: row.attendeeId, attendeeEmail: email }]);
    result.found.push(row);
    note(row.id, `stack ${stack.stackName} (${stack.status}) found in ${provider.name}; recorded for attendee ${stack.attendeeId}`);
  }
  return result;
}

/** The facilitator's "reconcile now": compares, records, and starts following what was found. */
export async function reconcileNow(deps: { provider: Provider; watchers: Watchers }, actor: Actor): Promise<Reconciliation> {
  try {
    const result = await reconcileEnvironments(deps.provider, { actor });
    for (const row of result.found) deps.watchers.watch(row).wake();
    return result;
  } catch (err) {
    audit(actor, "reconcile", { ok: false, detail: err instanceof Error ? err.message : "failed" });
    throw err;
  }
}

/** One line for the facilitator, e.g. "2 stacks found, 1 environment marked deleted". */
export function summarizeReconciliation(r: Reconciliation): string {
  if (!r.checked) return "This provider keeps no list of stacks to compare with; nothing to reconcile.";
  const parts = [
    r.found.length && `${r.found.length} stack(s) found and recorded`,
    r.placeholders.length && `${r.placeholders.length} unknown attendee(s) added`,
    r.retired.length && `${r.retired.length} environment(s) marked deleted`,
    r.unresolved.length && `${r.unresolved.length} stack(s) need attention: ${r.unresolved.map((u) => u.stackName).join(", ")}`,
  ].filter(Boolean);
  return parts.length ? `${parts.join("; ")}.` : "The store and the cloud agree.";
}
