import { timingSafeEqual } from "node:crypto";
import { requireViewer } from "@/lib/auth/session";
import { internalToken } from "@/lib/config";
import { providerRef } from "@/lib/db/queries";
import { environmentFor } from "@/lib/environments";
import { proxiedKinds, type ProxiedKind } from "@/lib/environments/proxied";
import { errorResponse, PortalError } from "@/lib/errors";
import { ready } from "@/lib/runtime";

export const dynamic = "force-dynamic";

/** Compares without telling, through its timing, how much of the token was right. */
function sameToken(given: string | null, expected: string | undefined): boolean {
  if (!given || !expected) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Asked by the portal's own proxy (scripts/proxy.mjs) on loopback, with the browser's cookie,
 * before it forwards a request under /environments/<id>/notebook/ or /dashboard/: may this
 * viewer see it, and where does it go? The notebook is the owner's alone; the dashboard
 * also the facilitator's. Anyone else gets the same 404 as for a missing environment.
 * Without the process's internal token (a browser never has it) the route does not exist.
 */
export async function GET(request: Request) {
  try {
    if (!sameToken(request.headers.get("x-portal-internal"), internalToken())) throw new PortalError("not_found", "Not found.");
    const url = new URL(request.url);
    const kind = url.searchParams.get("kind") as ProxiedKind;
    if (!proxiedKinds.includes(kind)) throw new PortalError("bad_request", "kind must be notebook or dashboard.");
    const viewer = await requireViewer();
    const row = environmentFor(viewer, url.searchParams.get("env") ?? "");
    const allowed = row.attendeeId === viewer.id || (kind === "dashboard" && viewer.role === "facilitator");
    if (!allowed || row.deletedAt) throw new PortalError("not_found", "Environment not found.");
    const { provider } = await ready();
    const target = provider.proxyTarget?.(providerRef(row), kind);
    if (!target) throw new PortalError("not_found", "Environment not found.");
    return Response.json({ target: target.origin, headers: target.headers }, { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return errorResponse(err);
  }
}
