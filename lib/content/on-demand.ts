import type { ContentConfig } from "@/lib/config";
import { environmentId } from "@/lib/providers/contract";

// Caddy's on-demand TLS (deploy/install.sh --content-domain): before it asks a CA for a
// certificate for a name under *.PORTAL_CONTENT_DOMAIN, Caddy asks the portal whether the
// name is one of its own (GET /api/internal/content-host?domain=NAME; 200 yes, anything else
// no). Without the question anyone could make Caddy request certificates for any number of
// made-up names, spending the domain's rate limit at the CA. Anyone may ask: the answer
// only confirms an environment id the asker already holds, a random UUID no one can guess.

/** The environment id a content host name stands for (`<id>.<domain>`, one label), or null. */
export function environmentOfContentHost(content: ContentConfig, name: string | null | undefined): string | null {
  if (!content.domain || !name) return null;
  const domain = new URL(`http://${content.domain}`).hostname;
  const host = name.trim().toLowerCase().replace(/\.$/, "");
  if (!host.endsWith(`.${domain}`)) return null;
  const label = host.slice(0, -(domain.length + 1));
  return environmentId.test(label) ? label : null;
}
