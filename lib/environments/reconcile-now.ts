import "server-only";
import type { Viewer } from "@/lib/auth/session";
import { audit } from "@/lib/db/queries";
import { PortalError } from "@/lib/errors";
import { getProvider } from "@/lib/providers";
import { ProviderError } from "@/lib/providers/types";
import { getHub } from "@/lib/stream/hub";
import { reconcileEnvironments, type Reconciliation } from "./reconcile";

// Kept apart from reconcile.ts so the hub can call reconcileEnvironments at start-up
// without importing itself back.

/** The facilitator's "reconcile now": compares, records, and starts following what was found. */
export async function reconcileNow(viewer: Viewer): Promise<Reconciliation> {
  if (viewer.role !== "facilitator") throw new PortalError("forbidden", "Only the facilitator can do that.");
  try {
    const result = await reconcileEnvironments(getProvider(), { actor: { id: viewer.id, role: "facilitator" } });
    for (const row of result.found) getHub().stream(row).wake();
    return result;
  } catch (err) {
    if (err instanceof PortalError) throw err;
    const message = err instanceof ProviderError ? err.message : "The environment backend did not respond. Try again in a moment.";
    audit({ actorId: viewer.id, actorRole: "facilitator", action: "reconcile", result: "error", detail: message });
    throw new PortalError("unavailable", message);
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
