import { requireViewer } from "@/lib/auth/session";
import { providerRef } from "@/lib/db/queries";
import { environmentFor } from "@/lib/environments";
import { errorResponse, PortalError } from "@/lib/errors";
import { ready } from "@/lib/runtime";

export const dynamic = "force-dynamic";

/**
 * "Open the notebook": for the environment's owner only (anyone else gets the same 404 as
 * for a missing environment), the provider makes the notebook's address now (a local
 * JupyterLab under the portal's /environments/<id>/notebook/, which scripts/proxy.mjs
 * serves; or a presigned URL valid for minutes) and the browser is sent there. The address
 * is never stored, streamed or logged.
 */
export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const viewer = await requireViewer("attendee");
    const row = environmentFor(viewer, (await params).id);
    if (row.deletedAt) throw new PortalError("not_found", "Environment not found.");
    const { provider } = await ready();
    const address = await provider.openNotebook(providerRef(row));
    return new Response(null, { status: 303, headers: { Location: address, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" } });
  } catch (err) {
    return errorResponse(err);
  }
}
