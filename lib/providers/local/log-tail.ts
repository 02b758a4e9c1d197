import "server-only";
import fs from "node:fs";

const MAX_READ = 1 << 20;

/**
 * Complete lines appended to `file` since byte `offset`. A trailing partial line is left
 * for the next read, so a line is never split or delivered twice.
 */
export function readNewLines(file: string, offset: number): { lines: { offset: number; text: string }[]; next: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    return { lines: [], next: offset };
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= offset) return { lines: [], next: Math.min(offset, size) };
    const length = Math.min(size - offset, MAX_READ);
    const buf = Buffer.alloc(length);
    fs.readSync(fd, buf, 0, length, offset);
    const lastNewline = buf.lastIndexOf(0x0a);
    if (lastNewline < 0) {
      // One line longer than MAX_READ: hand it over as it is rather than stall forever.
      return length === MAX_READ
        ? { lines: [{ offset, text: buf.toString("utf8") }], next: offset + length }
        : { lines: [], next: offset };
    }
    const lines: { offset: number; text: string }[] = [];
    let start = 0;
    while (start <= lastNewline) {
      const end = buf.indexOf(0x0a, start);
      const text = buf.toString("utf8", start, end).replace(/\r$/, "");
      if (text.length) lines.push({ offset: offset + start, text });
      start = end + 1;
    }
    return { lines, next: offset + lastNewline + 1 };
  } finally {
    fs.closeSync(fd);
  }
}
