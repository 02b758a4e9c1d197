import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LOG_LINE_MAX_BYTES } from "@/lib/providers/contract";
import { readNewLines } from "./log-tail";

const tempLog = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tail-")), "task.log");

/** What successive reads deliver, as the provider's polls read the file. */
function readAll(file: string): string[] {
  const texts: string[] = [];
  for (let offset = 0, read = readNewLines(file, 0); ; read = readNewLines(file, offset)) {
    texts.push(...read.lines.map((l) => l.text));
    if (read.next === offset) return texts;
    offset = read.next;
  }
}

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

  it("cuts a 1 MiB line to its start with a mark saying how long it was, and keeps the lines around it whole", () => {
    const file = tempLog();
    const huge = "x".repeat(1024 * 1024);
    fs.writeFileSync(file, `before\n${huge}\nafter\n`);
    const texts = readAll(file);
    expect(texts).toHaveLength(3);
    expect(texts[0]).toBe("before");
    expect(texts[1]).toBe(`${"x".repeat(LOG_LINE_MAX_BYTES)}… [line truncated: 1.0 MiB]`);
    expect(texts[2]).toBe("after");
  });

  it("cuts a long line of many-byte characters on a character boundary, and leaves a line at the limit as it is", () => {
    const file = tempLog();
    const atLimit = "y".repeat(LOG_LINE_MAX_BYTES);
    fs.writeFileSync(file, `${"é".repeat(10_000)}\r\n${atLimit}\n`);
    const [long, exact] = readAll(file);
    expect(long).toMatch(/^é+… \[line truncated: 19\.5 KiB\]$/);
    expect(Buffer.byteLength(long.split("…")[0])).toBe(LOG_LINE_MAX_BYTES);
    expect(exact).toBe(atLimit);
  });

  it("treats a missing file as no lines yet", () => {
    expect(readNewLines("/nonexistent/task.log", 0)).toEqual({ lines: [], next: 0 });
  });
});
