import "server-only";
import type { Viewer } from "@/lib/auth/session";
import type { PortalConfig } from "@/lib/config";
import { sessionStateOf } from "@/lib/db/attendee-queries";
import { redirectNow } from "@/lib/environments/opening";
import { proxiedBase, type ProxiedKind } from "@/lib/providers/contract";
import { PortalError } from "@/lib/errors";
import { contentOrigin } from "./origin";
import type { ContentViewer } from "./session";
import { ticketBook } from "./tickets";

// The portal's side of the hand-off (tickets.ts): "Open the notebook" and "Dask dashboard" send
// the browser to the content origin; when it comes back with the content origin's state, the
// viewer (signed in here, and allowed: the route checked) gets a ticket for it.

function contentViewerOf(viewer: Viewer): ContentViewer {
  if (viewer.role === "facilitator") return { role: "facilitator", id: viewer.id };
  const state = sessionStateOf(viewer.id);
  if (!state) throw new PortalError("unauthorized", "Sign in again.");
  return { role: "attendee", id: viewer.id, sessionVersion: state.sessionVersion };
}

/** A path of the environment's server for this kind, and nothing else (no other environment, no other origin). */
function ownPath(path: string | null, envId: string, kind: ProxiedKind): path is string {
  return Boolean(path && path.startsWith(`${proxiedBase(envId, kind)}/`) && !/[\\\s]|\/\/|\/\.\.?(\/|$|\?)/.test(path.split("?")[0]));
}

/**
 * The redirect for a viewer opening an environment's notebook or dashboard: to `firstPath`
 * on the content origin, or, when the content origin sent the browser here for a ticket
 * (`?state=…&path=…`), back to it with one.
 */
export function handOff(request: Request, config: Pick<PortalConfig, "content" | "publicUrl">, viewer: Viewer, envId: string, kind: ProxiedKind, firstPath: string): Response {
  const url = new URL(request.url);
  const origin = contentOrigin(config.content, config.publicUrl, request.headers.get("host") ?? url.host, envId);
  const state = url.searchParams.get("state");
  if (!state) return redirectNow(`${origin}${firstPath}`);
  const asked = url.searchParams.get("path");
  const path = ownPath(asked, envId, kind) ? asked : firstPath;
  const ticket = ticketBook().issue({ envId, kind, viewer: contentViewerOf(viewer), path }, state);
  return redirectNow(`${origin}/environments/${envId}/handoff?ticket=${encodeURIComponent(ticket)}`);
}
