import { describe, expect, it } from "vitest";
import { toCsv } from "./csv";

describe("toCsv", () => {
  it("quotes commas, quotes and newlines, and defuses formulas", () => {
    const csv = toCsv(["a", "b"], [["x,y", 'say "hi"'], ["=cmd()", "line\nbreak"]]);
    expect(csv).toBe('a,b\r\n"x,y","say ""hi"""\r\n\'=cmd(),"line\nbreak"\r\n');
  });
});
