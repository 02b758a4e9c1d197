import { describe, expect, it } from "vitest";
import { environmentOfContentHost } from "./on-demand";

// Caddy's question before an on-demand content certificate: which names the portal vouches for.

const id = "0b7c6a1e-2f4d-4c8a-9e3b-5d6f7a8b9c0d";
const content = { port: 3001, portalPort: 3000, domain: "content.example.org" };

describe("the content host a certificate is asked for", () => {
  it("is an environment's own subdomain, one label, any case, with or without the root's dot", () => {
    expect(environmentOfContentHost(content, `${id}.content.example.org`)).toBe(id);
    expect(environmentOfContentHost(content, `${id.toUpperCase()}.Content.Example.org.`)).toBe(id);
  });

  it("is nothing else: another domain, a deeper or shallower name, a label that is not an id, no domain configured", () => {
    for (const name of [`${id}.content.example.com`, `a.${id}.content.example.org`, "content.example.org", "www.content.example.org", `${id}content.example.org`, "", null]) {
      expect(environmentOfContentHost(content, name), String(name)).toBeNull();
    }
    expect(environmentOfContentHost({ ...content, domain: undefined }, `${id}.content.example.org`)).toBeNull();
  });

  it("leaves the configured domain's port out of the name", () => {
    expect(environmentOfContentHost({ ...content, domain: "content.localhost:8443" }, `${id}.content.localhost`)).toBe(id);
  });
});
