import { audited } from "@/lib/audit";
import { requireViewer } from "@/lib/auth/session";
import { handOff } from "@/lib/content/handoff";
import { providerRef } from "@/lib/db/environment-queries";
import { environmentFor } from "@/lib/environments";
import { openingFailed, redirectNow, viewerAddress } from "@/lib/environments/opening";
import { PortalError } from "@/lib/errors";
import type { DashboardAdmission } from "@/lib/providers/contract";
import { ready } from "@/lib/runtime";

export const dynamic = "force-dynamic";

function admitted(a: DashboardAdmission): string {
  if (!a.cidr) return "no rule needed: the dashboard admits its viewers by itself";
  const change = a.added ? `added ${a.cidr} to ${a.groupId}` : `${a.cidr} already admitted on ${a.groupId}`;
  return a.revoked ? `${change}; removed ${a.revoked} older address(es)` : change;
}

/**
 * "Dask dashboard": for the environment's owner and the facilitator (anyone else gets the
 * same 404 as for a missing environment). Where the portal proxies dashboards (local, and AWS
 * with the portal in the event's VPC), the browser goes to the content origin (lib/content),
 * which is handed a one-time ticket here when it asks for one: the dashboard's page, which the
 * attendee controls, never runs on the portal's origin. Where a dashboard has its own address
 * (AWS with the portal outside the VPC), the provider first lets the address the portal sees
 * for this viewer reach it (the scheduler's security group, port 8787) and the audit log
 * records the rule; then the browser goes there.
 */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const viewer = await requireViewer();
    const row = environmentFor(viewer, (await params).id);
    const allowed = row.attendeeId === viewer.id || viewer.role === "facilitator";
    if (!allowed || row.deletedAt) throw new PortalError("not_found", "Environment not found.");
    const { provider, config } = await ready();
    const ref = providerRef(row);
    const access = provider.dashboardAccess;
    if (access.mode === "proxied") {
      const { links } = await provider.describe(ref);
      if (!links.dashboard) throw new PortalError("not_found", "The dashboard opens once the scheduler is running.");
      return handOff(request, config, viewer, row.id, "dashboard", links.dashboard);
    }
    const who = viewer.role === "facilitator" ? "facilitator" : `attendee ${ref.attendeeEmail}`;
    const admission = await audited(viewer, "open-dashboard", row.id, () => access.admit(ref, { address: viewerAddress(request), who }), admitted);
    return redirectNow(admission.url);
  } catch (err) {
    return openingFailed(err, "the Dask dashboard");
  }
}
