import { describe, expect, it } from "vitest";
import { changesState, foreignOrigin } from "./same-origin";

const headers = (h: Record<string, string>) => (name: string) => h[name];

describe("requests from another origin", () => {
  it("counts every method but GET, HEAD and OPTIONS as changing something", () => {
    expect(["POST", "put", "DELETE", "PATCH"].map(changesState)).toEqual([true, true, true, true]);
    expect(["GET", "head", "OPTIONS"].map(changesState)).toEqual([false, false, false]);
  });

  it("accepts a page of the portal, by the host the browser addressed or by the public URL", () => {
    expect(foreignOrigin(headers({ origin: "http://localhost:3000", host: "localhost:3000" }))).toBeNull();
    expect(foreignOrigin(headers({ origin: "https://workshop.example.org", host: "127.0.0.1:3000" }), "https://workshop.example.org")).toBeNull();
  });

  it("refuses the content origin on the next port and an environment's subdomain, though both are the same site", () => {
    expect(foreignOrigin(headers({ origin: "http://localhost:3001", host: "localhost:3000" }))).toBe("http://localhost:3001");
    expect(
      foreignOrigin(headers({ origin: "https://0b0f5b7e-aaaa-4bbb-8ccc-111122223333.content.example.org", host: "workshop.example.org" }), "https://workshop.example.org"),
    ).toBe("https://0b0f5b7e-aaaa-4bbb-8ccc-111122223333.content.example.org");
  });

  it("refuses an opaque origin (null) and a cross-site request that names none", () => {
    expect(foreignOrigin(headers({ origin: "null", host: "localhost:3000" }))).toBe("null");
    expect(foreignOrigin(headers({ "sec-fetch-site": "same-site", host: "localhost:3000" }))).toBe("(same-site)");
  });

  it("lets a request that names no origin through: it is not a browser's", () => {
    expect(foreignOrigin(headers({ host: "localhost:3000" }))).toBeNull();
    expect(foreignOrigin(headers({ "sec-fetch-site": "same-origin", host: "localhost:3000" }))).toBeNull();
  });
});
