import { audit } from "@/lib/audit";
import { requireViewer } from "@/lib/auth/session";
import { handOff } from "@/lib/content/handoff";
import { providerRef } from "@/lib/db/environment-queries";
import { environmentFor } from "@/lib/environments";
import { openingFailed, redirectNow } from "@/lib/environments/opening";
import { PortalError, toPortalError } from "@/lib/errors";
import { proxiedBase } from "@/lib/providers/contract";
import { eventInfo } from "@/lib/room/event";
import { ready } from "@/lib/runtime";

export const dynamic = "force-dynamic";

/**
 * "Open the notebook": for the environment's owner only (anyone else gets the same 404 as
 * for a missing environment), the provider makes the notebook's address now and the browser
 * is sent there. A local JupyterLab is served on the content origin (lib/content), reached
 * through a one-time ticket this route hands over when the content origin asks for one; in
 * AWS event mode the address is a presigned URL valid for minutes, whose JupyterLab session
 * lasts until the event's end (at most 12 hours); in solo mode the SageMaker console's link.
 * The address is never stored, streamed or logged: the audit entry says that a notebook was
 * opened, not where.
 */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const viewer = await requireViewer("attendee");
    const row = environmentFor(viewer, (await params).id);
    if (row.deletedAt) throw new PortalError("not_found", "Environment not found.");
    const rt = await ready();
    try {
      const { endsAt } = eventInfo(rt.config.eventName);
      const address = await rt.provider.openNotebook(providerRef(row), endsAt ? { sessionEndsAt: new Date(endsAt) } : undefined);
      // A notebook the portal proxies is opened at its path on the content origin.
      const proxied = address.startsWith(`${proxiedBase(row.id, "notebook")}/`);
      // The content origin's request for a ticket is the same opening, already recorded.
      if (!(proxied && new URL(request.url).searchParams.has("state"))) audit(viewer, "open-notebook", { target: row.id, detail: row.stackName });
      return proxied ? handOff(request, rt.config, viewer, row.id, "notebook", address) : redirectNow(address);
    } catch (error) {
      audit(viewer, "open-notebook", { target: row.id, ok: false, detail: toPortalError(error).message });
      throw error;
    }
  } catch (err) {
    return openingFailed(err, "the notebook");
  }
}
