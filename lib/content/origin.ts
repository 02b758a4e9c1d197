import type { ContentConfig } from "@/lib/config";
import { environmentId } from "@/lib/providers/contract";

// Where the content origin is, seen from a browser: per-environment subdomains of
// PORTAL_CONTENT_DOMAIN when it is set, else the host the browser reached the portal by, on
// PORTAL_CONTENT_PORT (or PORTAL_CONTENT_PUBLIC_PORT, where a TLS proxy in front listens). Either way an environment's pages keep the paths its servers were
// started with (/environments/<id>/notebook/, /environments/<id>/dashboard/), and the
// hand-off lives beside them (/environments/<id>/handoff).

/** `http:` or `https:`: what the portal's public URL says (a TLS proxy in front), else plain HTTP. */
export function publicProtocol(publicUrl: string | undefined): string {
  return publicUrl ? new URL(publicUrl).protocol : "http:";
}

function hostnameOf(host: string): string {
  return new URL(`http://${host}`).hostname;
}

/** The content origin for `envId`, for a browser that reached the portal with this Host header. */
export function contentOrigin(content: ContentConfig, publicUrl: string | undefined, portalHost: string, envId: string): string {
  const protocol = publicProtocol(publicUrl);
  return content.domain ? `${protocol}//${envId}.${content.domain}` : `${protocol}//${hostnameOf(portalHost)}:${content.publicPort ?? content.port}`;
}

/** The portal's origin for a browser at the content origin with this Host header. */
export function portalOrigin(content: ContentConfig, publicUrl: string | undefined, contentHost: string): string {
  // Behind a proxy the portal's own port is not the browser's: its public URL says where it is.
  if ((content.domain || content.publicPort) && publicUrl) return new URL(publicUrl).origin;
  return `${publicProtocol(publicUrl)}//${hostnameOf(contentHost)}:${content.portalPort}`;
}

export type ContentPart = "notebook" | "dashboard" | "handoff";

const contentPath = /^\/environments\/([^/?#]+)\/(notebook|dashboard|handoff)(?=[/?]|$)/;

/**
 * The environment and part a request to the content origin is for, from its path; with
 * PORTAL_CONTENT_DOMAIN its Host must be that environment's own subdomain. Null for anything else.
 */
export function contentTarget(content: ContentConfig, host: string | undefined, url: string): { envId: string; part: ContentPart } | null {
  const match = contentPath.exec(url);
  if (!match || !environmentId.test(match[1])) return null;
  const envId = match[1];
  if (content.domain) {
    const expected = `${envId}.${content.domain}`.toLowerCase();
    if ((host ?? "").toLowerCase() !== expected) return null;
  }
  return { envId, part: match[2] as ContentPart };
}
