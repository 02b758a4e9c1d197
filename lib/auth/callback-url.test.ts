import { describe, expect, it } from "vitest";
import { safeCallbackUrl } from "./callback-url";

describe("safeCallbackUrl", () => {
  it("keeps the portal's own pages, with their query and fragment", () => {
    expect(safeCallbackUrl("/labs/lab-3?x=1#step-2")).toBe("/labs/lab-3?x=1#step-2");
    expect(safeCallbackUrl("http://portal.example:3000/environment", "http://portal.example:3000")).toBe("/environment");
  });

  it.each([
    "/\\evil.example",
    "/\\/evil.example",
    "//evil.example",
    "https://evil.example/labs",
    "/%5Cevil.example",
    "/%2F/evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http://portal.example.evil.example/",
  ])("refuses %s", (value) => {
    expect(safeCallbackUrl(value, "http://portal.example")).toBeUndefined();
  });
});
