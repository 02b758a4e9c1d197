import { BlockList, isIP } from "node:net";

// Who is signing in, by network address, for the rate limit and the audit log.
//
// The address is the TCP peer's, which scripts/start.mjs (the portal's server) writes into
// `x-portal-peer` on every request, replacing whatever a client sent under that name.
// X-Forwarded-For is only believed when that peer is one of the configured trusted proxies,
// and then only up to the right-most hop no trusted proxy vouches for: everything left of
// it was written by the client and can say anything.

export const peerHeader = "x-portal-peer";

export type HeaderLookup = (name: string) => string | null | undefined;

/** `::ffff:10.0.0.1` is 10.0.0.1; `[::1]:443` and `10.0.0.1:443` lose their ports. */
export function normalizeAddress(raw: string): string {
  let value = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) value = bracketed[1];
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(value)) value = value.slice(0, value.lastIndexOf(":"));
  if (value.toLowerCase().startsWith("::ffff:") && isIP(value.slice(7)) === 4) value = value.slice(7);
  return value.toLowerCase();
}

/** The proxies whose X-Forwarded-For is believed (addresses or CIDRs, IPv4 or IPv6). */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address, prefix] = entry.split("/");
      const family = isIP(address) === 6 ? "ipv6" : "ipv4";
      if (prefix === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(prefix), family);
    }
    this.size = entries.length;
  }

  has(address: string): boolean {
    const family = isIP(address);
    if (!family) return false;
    return this.list.check(address, family === 6 ? "ipv6" : "ipv4");
  }
}

/** A comma-separated list as PORTAL_TRUSTED_PROXIES gives it; an error message for the first bad entry. */
export function parseTrustedProxies(value: string): { entries: string[] } | { error: string } {
  const entries = value.split(",").map((e) => e.trim()).filter(Boolean);
  for (const entry of entries) {
    const [address, prefix, extra] = entry.split("/");
    const family = isIP(address);
    const maxPrefix = family === 6 ? 128 : 32;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (!family || !prefixOk || extra !== undefined) return { error: `"${entry}" is not an IP address or CIDR` };
  }
  return { entries };
}

/** The client's address as far as it can be known; "unknown" when the server gave no peer. */
export function clientAddress(header: HeaderLookup, trusted: TrustedProxies): string {
  const peer = header(peerHeader);
  if (!peer) return "unknown";
  let client = normalizeAddress(peer);
  if (!trusted.has(client)) return client;
  const hops = (header("x-forwarded-for") ?? "").split(",").map((h) => h.trim()).filter(Boolean);
  // From the right: each trusted hop vouches for the one before it.
  for (let i = hops.length - 1; i >= 0; i--) {
    client = normalizeAddress(hops[i]);
    if (!trusted.has(client)) return client;
  }
  return client;
}
