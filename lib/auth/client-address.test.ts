import { describe, expect, it } from "vitest";
import { clientAddress, normalizeAddress, parseTrustedProxies, peerHeader, TrustedProxies } from "./client-address";

const lookup = (headers: Record<string, string>) => (name: string) => headers[name];

describe("clientAddress", () => {
  const none = new TrustedProxies([]);
  const proxies = new TrustedProxies(["10.0.0.0/8", "::1"]);

  it("is the connection's own address when no proxy is trusted, whatever X-Forwarded-For says", () => {
    expect(clientAddress(lookup({ [peerHeader]: "::ffff:203.0.113.7", "x-forwarded-for": "127.0.0.1" }), none)).toBe("203.0.113.7");
  });

  it("believes a trusted proxy up to the right-most hop no trusted proxy vouches for", () => {
    const headers = { [peerHeader]: "10.1.2.3", "x-forwarded-for": "6.6.6.6, 198.51.100.9, 10.9.9.9" };
    expect(clientAddress(lookup(headers), proxies)).toBe("198.51.100.9");
  });

  it("does not believe an untrusted peer's header even when it names a trusted proxy", () => {
    const headers = { [peerHeader]: "198.51.100.9", "x-forwarded-for": "10.0.0.1" };
    expect(clientAddress(lookup(headers), proxies)).toBe("198.51.100.9");
  });

  it("is the left-most hop when every hop is trusted, and 'unknown' without a peer", () => {
    expect(clientAddress(lookup({ [peerHeader]: "::1", "x-forwarded-for": "10.0.0.2" }), proxies)).toBe("10.0.0.2");
    expect(clientAddress(lookup({ "x-forwarded-for": "1.2.3.4" }), proxies)).toBe("unknown");
  });

  it("reads addresses with ports and brackets as their address", () => {
    expect(normalizeAddress("[2001:db8::1]:443")).toBe("2001:db8::1");
    expect(normalizeAddress("192.0.2.1:8080")).toBe("192.0.2.1");
  });
});

describe("parseTrustedProxies", () => {
  it("takes addresses and CIDRs, and names the first bad entry", () => {
    expect(parseTrustedProxies("127.0.0.1, 10.0.0.0/8,fd00::/8")).toEqual({ entries: ["127.0.0.1", "10.0.0.0/8", "fd00::/8"] });
    expect(parseTrustedProxies("")).toEqual({ entries: [] });
    expect(parseTrustedProxies("10.0.0.0/33")).toEqual({ error: '"10.0.0.0/33" is not an IP address or CIDR' });
    expect(parseTrustedProxies("proxy.local")).toEqual({ error: '"proxy.local" is not an IP address or CIDR' });
  });
});
