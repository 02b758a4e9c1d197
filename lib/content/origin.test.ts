import { describe, expect, it } from "vitest";
import { contentOrigin, contentTarget, portalOrigin } from "./origin";

// Where the content origin is, from the browser's side, in its two forms.

const envId = "0b0f5b7e-aaaa-4bbb-8ccc-111122223333";
const ports = { port: 3001, portalPort: 3000 };

describe("the content origin", () => {
  it("is the portal's host on the content port, for whatever host the browser reached the portal by", () => {
    expect(contentOrigin(ports, undefined, "localhost:3000", envId)).toBe("http://localhost:3001");
    expect(contentOrigin(ports, "http://127.0.0.2:3000", "127.0.0.2:3000", envId)).toBe("http://127.0.0.2:3001");
    expect(portalOrigin(ports, undefined, "localhost:3001")).toBe("http://localhost:3000");
    expect(contentTarget(ports, "localhost:3001", `/environments/${envId}/notebook/lab`)).toEqual({ envId, part: "notebook" });
  });

  it("is on the proxy's port behind a TLS proxy that listens elsewhere (PORTAL_CONTENT_PUBLIC_PORT), and sends browsers back to the portal's public URL", () => {
    const proxied = { ...ports, publicPort: 8443 };
    expect(contentOrigin(proxied, "https://workshop.example.org", "workshop.example.org", envId)).toBe("https://workshop.example.org:8443");
    expect(portalOrigin(proxied, "https://workshop.example.org", "workshop.example.org:8443")).toBe("https://workshop.example.org");
  });

  it("is the environment's own subdomain with PORTAL_CONTENT_DOMAIN, which must match the path's environment", () => {
    const domain = { ...ports, domain: "content.example.org" };
    expect(contentOrigin(domain, "https://workshop.example.org", "workshop.example.org", envId)).toBe(`https://${envId}.content.example.org`);
    expect(portalOrigin(domain, "https://workshop.example.org", `${envId}.content.example.org`)).toBe("https://workshop.example.org");
    expect(contentTarget(domain, `${envId}.content.example.org`, `/environments/${envId}/dashboard/status`)).toEqual({ envId, part: "dashboard" });
    expect(contentTarget(domain, "cccccccc-0000-4000-8000-00000000000c.content.example.org", `/environments/${envId}/dashboard/status`)).toBeNull();
    expect(contentTarget(domain, "content.example.org", `/environments/${envId}/dashboard/status`)).toBeNull();
  });

  it("answers only an environment's own paths", () => {
    expect(contentTarget(ports, "localhost:3001", `/environments/${envId}/handoff?ticket=x`)).toEqual({ envId, part: "handoff" });
    for (const url of ["/", "/facilitator", `/environments/${envId}/notebooks/x`, "/environments/not-an-id/notebook/", `/environments/${envId}`]) {
      expect(contentTarget(ports, "localhost:3001", url), url).toBeNull();
    }
  });
});
