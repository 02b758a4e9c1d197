import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readNewLines } from "./log-tail";

describe("readNewLines", () => {
  it("returns each complete line once and keeps a half-written line for later", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tail-")), "task.log");
    fs.writeFileSync(file, "first\nsecond\nthi");
    const a = readNewLines(file, 0);
    expect(a.lines.map((l) => l.text)).toEqual(["first", "second"]);
    fs.appendFileSync(file, "rd\n");
    const b = readNewLines(file, a.next);
    expect(b.lines.map((l) => l.text)).toEqual(["third"]);
    expect(readNewLines(file, b.next).lines).toEqual([]);
  });

  it("treats a missing file as no lines yet", () => {
    expect(readNewLines("/nonexistent/task.log", 0)).toEqual({ lines: [], next: 0 });
  });
});
