import { describe, expect, it } from "vitest";
import { stackNameFor } from "./index";

describe("stackNameFor", () => {
  it("makes a valid CloudFormation stack name from any display name", () => {
    for (const name of ["Ada Lovelace", "  ", "Zoë O'Brien-Ünal", "名前", "x".repeat(300), "--weird--"]) {
      const stack = stackNameFor(name);
      expect(stack).toMatch(/^[A-Za-z][-A-Za-z0-9]*$/);
      expect(stack.length).toBeLessThanOrEqual(128);
      expect(stack).not.toMatch(/--/);
    }
    expect(stackNameFor("Ada Lovelace")).toMatch(/^dask-ada-lovelace-[0-9a-f]{6}$/);
  });

  it("gives two deploys by the same person different names", () => {
    expect(stackNameFor("Ada")).not.toBe(stackNameFor("Ada"));
  });
});
