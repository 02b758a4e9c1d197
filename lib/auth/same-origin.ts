import type { HeaderLookup } from "./client-address";

// Every server action and every request that changes something must come from a page of the
// portal itself. The browser says where a request comes from (Origin, or Sec-Fetch-Site where a
// request carries no Origin); a page of another origin, an environment's own pages on the
// content origin among them, may still make the browser send the portal's cookies with it
// (the two are the same site), so such a request is refused before anything runs (proxy.ts)
// and recorded (app/api/internal/cross-origin).

const SAFE_METHODS = ["GET", "HEAD", "OPTIONS"];

/** Whether a request with this method may change something (every server action is a POST). */
export function changesState(method: string): boolean {
  return !SAFE_METHODS.includes(method.toUpperCase());
}

/**
 * The origin a request came from when it is not the portal's own (the Host the browser
 * addressed, or the configured public URL), else null. A request that names no origin at all
 * (not a browser's) is the portal's: it cannot carry a browser's cookies by itself.
 */
export function foreignOrigin(header: HeaderLookup, publicUrl?: string): string | null {
  const origin = header("origin");
  if (!origin) {
    const site = header("sec-fetch-site");
    return site && site !== "same-origin" && site !== "none" ? `(${site})` : null;
  }
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return origin.slice(0, 200);
  }
  if (host && host === header("host")) return null;
  if (publicUrl && new URL(publicUrl).origin === origin) return null;
  return origin.slice(0, 200);
}
