import "server-only";
import { clientAddress, TrustedProxies } from "@/lib/auth/client-address";
import { portalConfig } from "@/lib/config";
import { PortalError, toPortalError } from "@/lib/errors";
import { ProviderError } from "@/lib/providers/contract";

// What the "Open the notebook" and "Dask dashboard" links share: they are followed by a
// browser in a new tab, so the answer is a redirect made now (never cached, never sent on
// as a Referer), or a short page that says what went wrong in words.

/** A 303 to an address made for this request only. */
export function redirectNow(location: string): Response {
  return new Response(null, { status: 303, headers: { Location: location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" } });
}

const escapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => escapes[c]);

/** The failure as a page a person reads: the portal's own words (toPortalError), never an SDK's raw error. */
export function openingFailed(err: unknown, what: string): Response {
  const expected = PortalError.is(err) || ProviderError.is(err);
  const error = toPortalError(err);
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Could not open ${escapeHtml(what)}</title></head>
<body><main><h1>Could not open ${escapeHtml(what)}</h1>
<p data-testid="opening-error">${escapeHtml(error.message)}</p>
<p><a href="/environment">Back to My environment</a></p></main></body></html>`;
  return new Response(body, {
    status: expected ? error.status : 500,
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
  });
}

/** The browser's address as the portal sees it: the TCP peer, or past PORTAL_TRUSTED_PROXIES only. */
export function viewerAddress(request: Request): string {
  return clientAddress((name) => request.headers.get(name), new TrustedProxies(portalConfig().trustedProxies));
}
